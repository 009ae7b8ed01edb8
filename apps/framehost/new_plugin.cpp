// `framehost new-plugin NAME`: writes a complete out-of-tree plugin project from the templates
// in sdk/templates, which CI builds and tests against an installed framehost on every run.
#include <fstream>
#include <iostream>

#include "apps/framehost/commands.hpp"
#include "apps/framehost/plugin_templates.hpp"
#include "core/plugins/conformance_check.hpp"
#include "framehost/version.hpp"

namespace framehost::app {

namespace {

std::string class_name_of(const std::string& name) {
    std::string out;
    bool upper = true;
    for (char c : name) {
        if (c == '_') {
            upper = true;
            continue;
        }
        out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        upper = false;
    }
    return out;
}

std::string fill(std::string text, const std::map<std::string, std::string>& values) {
    for (const auto& [key, value] : values) {
        for (std::size_t at; (at = text.find(key)) != std::string::npos;)
            text.replace(at, key.size(), value);
    }
    return text;
}

}  // namespace

int new_plugin(const std::string& name, const std::string& kind, const std::string& lang,
               const std::filesystem::path& dir) {
    if (!core::is_lower_snake_case(name)) {
        std::cerr << "framehost: plugin name '" << name
                  << "' must be lower_snake_case (a-z, 0-9, _; starting with a letter): it is the "
                     "file name and the name configs use\n";
        return 2;
    }
    if (kind != "processor" && kind != "source" && kind != "sink") {
        std::cerr << "framehost: --kind is processor, source or sink, not '" << kind << "'\n";
        return 2;
    }
    if (lang != "cpp" && lang != "python") {
        std::cerr << "framehost: --lang is cpp or python, not '" << lang << "'\n";
        return 2;
    }
    bool python = lang == "python";
    if (python && kind != "processor") {
        std::cerr << "framehost: --lang python writes processors (python_processor runs them); "
                     "sources and sinks are C++\n";
        return 2;
    }
    auto project = dir / name;
    std::error_code ec;
    if (std::filesystem::exists(project, ec)) {
        std::cerr << "framehost: " << project.string() << " already exists; not overwriting it\n";
        return 1;
    }
    const std::map<std::string, std::string> values{
        {"@NAME@", name},
        {"@CLASS@", class_name_of(name)},
        {"@KIND@", kind},
        {"@SDK_VERSION@", kSdkVersion},
        {"@SDK_MAJOR_MINOR@", std::to_string(FRAMEHOST_SDK_VERSION_MAJOR) + "." +
                                  std::to_string(FRAMEHOST_SDK_VERSION_MINOR)},
    };
    const std::vector<std::pair<std::string, std::filesystem::path>> files =
        python ? std::vector<std::pair<std::string, std::filesystem::path>>{
                     {"python_processor.py.in", name + ".py"},
                     {"python_processor_test.py.in", "test_" + name + ".py"},
                     {"python_processor.yaml.in", name + ".yaml"},
                     {"python_README.md.in", "README.md"},
                 }
               : std::vector<std::pair<std::string, std::filesystem::path>>{
                     {"CMakeLists.txt.in", "CMakeLists.txt"},
                     {kind + ".cpp.in", name + ".cpp"},
                     {kind + "_test.cpp.in", std::filesystem::path("tests") / (name + "_test.cpp")},
                     {kind + ".yaml.in", name + ".yaml"},
                     {"README.md.in", "README.md"},
                     {"gitignore.in", ".gitignore"},
                 };
    auto folder = python ? project : project / "tests";
    std::filesystem::create_directories(folder, ec);
    if (ec) {
        std::cerr << "framehost: cannot create " << folder.string() << ": " << ec.message() << "\n";
        return 1;
    }
    const auto& templates = plugin_templates();
    for (const auto& [template_name, target] : files) {
        std::ofstream out(project / target);
        out << fill(templates.at(template_name), values);
        if (!out.flush()) {
            std::cerr << "framehost: cannot write " << (project / target).string() << "\n";
            return 1;
        }
    }
    std::cout << "wrote a " << (python ? "Python " : "") << kind << " project in "
              << project.string() << ":\n";
    for (const auto& [template_name, target] : files) std::cout << "  " << target.string() << "\n";
    if (python) {
        std::cout << "next:\n  cd " << project.string()
                  << "\n  /usr/bin/python3 -m unittest -v"
                     "\n  framehost check-plugin python_processor --set module="
                  << name << ".py --set class=" << class_name_of(name) << "\n  framehost --config "
                  << name << ".yaml\n";
        return 0;
    }
    std::cout << "next:\n  cd " << project.string()
              << "\n  cmake -S . -B build -DCMAKE_PREFIX_PATH=<where framehost is installed>"
                 "\n  cmake --build build && ctest --test-dir build"
                 "\n  framehost check-plugin build/plugins/"
              << name << ".so\n";
    return 0;
}

}  // namespace framehost::app
