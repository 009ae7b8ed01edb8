#include "core/http/query_params.hpp"

#include <cmath>

namespace framehost::core {

std::string query_value(const HttpRequest& request, const char* name) {
    auto it = request.query.find(name);
    return it == request.query.end() ? std::string() : it->second;
}

bool read_number(const HttpRequest& request, const char* name, std::optional<double>& out) {
    auto it = request.query.find(name);
    if (it == request.query.end()) return true;
    std::size_t used = 0;
    double value = 0;
    try {
        value = std::stod(it->second, &used);
    } catch (const std::exception&) {
        return false;
    }
    if (used != it->second.size() || !std::isfinite(value)) return false;
    out = value;
    return true;
}

HttpResponse bad_query(const char* name, const std::string& msg) {
    return validation_error({"query", name}, msg, "type_error.number");
}

}  // namespace framehost::core
