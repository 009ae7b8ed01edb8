// `framehost reference config|http`: the reference pages' generated parts, from the same
// declarations that validate configs and dispatch requests.
#include <iostream>

#include "apps/framehost/commands.hpp"
#include "core/config/host_settings.hpp"
#include "core/http/http_api.hpp"
#include "core/plugins/descriptor_report.hpp"

namespace framehost::app {

int print_reference(const std::string& what) {
    if (what == "config") {
        bool first = true;
        for (const auto& section : core::config_sections()) {
            std::cout << (first ? "" : "\n") << "### `" << section.key << "`: " << section.summary
                      << "\n\n"
                      << core::params_markdown_table(section.specs, std::string(section.key) + ".");
            first = false;
        }
        std::cout << "\n### `worker`: an isolated processor's or sink's worker processes "
                     "(`isolation: process`)\n\n"
                  << core::params_markdown_table(core::worker_section().specs(),
                                                 "processors[].worker.");
        return 0;
    }
    if (what == "http") {
        std::cout << core::route_markdown(core::HttpApi::routes());
        return 0;
    }
    std::cerr << "framehost: reference takes config or http\n";
    return 2;
}

}  // namespace framehost::app
