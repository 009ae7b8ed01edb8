// A config's text through the YAML loader with ${...} interpolation: errors are diagnostics,
// never a crash, a hang or an exception escaping.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/config/diagnostics.hpp"
#include "core/config/yaml_document.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    framehost::core::Diagnostics diagnostics("fuzz.yaml");
    auto environment = [](const std::string& name) -> std::optional<std::string> {
        if (name == "SET") return std::string("value");
        if (name == "DOLLAR") return std::string("${SET}");
        return std::nullopt;
    };
    auto root = framehost::core::parse_yaml_config(text, environment, diagnostics);
    (void)root;
    return 0;
}
