// `framehost new-plugin`: what it writes and what it refuses. Building and testing the written
// projects against an installed framehost is tests/sdk/install_test.sh.
#include <doctest/doctest.h>

#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

using namespace framehost::test;

TEST_CASE("new-plugin writes a complete project for each kind") {
    TempDir dir;
    for (const std::string kind : {"processor", "source", "sink"}) {
        CAPTURE(kind);
        std::string name = "my_" + kind;
        auto r = run_program(kFramehostBinary,
                             {"new-plugin", name, "--kind", kind, "--dir", dir.path().string()});
        CHECK(r.exit_code == 0);
        auto project = dir.path() / name;
        for (const auto* file : {"CMakeLists.txt", "README.md", ".gitignore"})
            CHECK(std::filesystem::exists(project / file));
        auto source = read_file(project / (name + ".cpp"));
        CHECK(source.find("PluginKind::" + std::string(1, static_cast<char>(kind[0] - 32)) +
                          kind.substr(1)) != std::string::npos);
        CHECK(source.find("FRAMEHOST_PLUGIN(My" + std::string(1, static_cast<char>(kind[0] - 32)) +
                          kind.substr(1) + ")") != std::string::npos);
        CHECK(read_file(project / "tests" / (name + "_test.cpp"))
                  .find("LoadedPlugin plugin(PLUGIN_FILE") != std::string::npos);
        CHECK(read_file(project / "CMakeLists.txt")
                  .find("framehost_add_plugin(" + name + " SOURCES") != std::string::npos);
        CHECK(read_file(project / (name + ".yaml")).find("plugin_paths: [build/plugins]") !=
              std::string::npos);
        CHECK(read_file(project / "README.md").find("@") == std::string::npos);
    }
}

TEST_CASE(
    "new-plugin --lang python writes a Python processor whose tests pass and that a host runs") {
    TempDir dir;
    auto r = run_program(kFramehostBinary,
                         {"new-plugin", "glow", "--lang", "python", "--dir", dir.path().string()});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto project = dir.path() / "glow";
    for (const auto* file : {"glow.py", "test_glow.py", "glow.yaml", "README.md"})
        CHECK(std::filesystem::exists(project / file));
    CHECK(read_file(project / "README.md").find("@") == std::string::npos);
    auto tests = run_program(
        "/bin/sh", {"-c", "cd '" + project.string() + "' && /usr/bin/python3 -m unittest -v"});
    CHECK_MESSAGE(tests.exit_code == 0, tests.err);
    CHECK(tests.err.find("Ran 3 tests") != std::string::npos);
    auto out = dir / "out.jsonl";
    auto host = run_program(
        "/bin/sh",
        {"-c", "cd '" + project.string() + "' && exec " + kFramehostBinary + " --config glow.yaml"},
        {{"PORT", "0"}, {"FRAMES", "5"}, {"OUTPUT", out.string()}});
    REQUIRE_MESSAGE(host.exit_code == 0, host.err);
    CHECK(host.err.find("finished: 5 completed") != std::string::npos);
    auto lines = read_file(out);
    CHECK(lines.find("\"glow\":{\"bright\":") != std::string::npos);

    auto source = run_program(kFramehostBinary, {"new-plugin", "feed", "--lang", "python", "--kind",
                                                 "source", "--dir", dir.path().string()});
    CHECK(source.exit_code == 2);
    CHECK(source.err.find("--lang python writes processors") != std::string::npos);
    CHECK(run_program(kFramehostBinary,
                      {"new-plugin", "x", "--lang", "rust", "--dir", dir.path().string()})
              .exit_code == 2);
}

TEST_CASE("new-plugin refuses a bad name or kind and never overwrites") {
    TempDir dir;
    auto run = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "new-plugin");
        args.insert(args.end(), {"--dir", dir.path().string()});
        return run_program(kFramehostBinary, args);
    };
    auto bad_name = run({"My-Plugin"});
    CHECK(bad_name.exit_code == 2);
    CHECK(bad_name.err.find("must be lower_snake_case") != std::string::npos);
    CHECK(run({"blur", "--kind", "filter"}).exit_code == 2);
    CHECK(run({"blur"}).exit_code == 0);
    auto again = run({"blur"});
    CHECK(again.exit_code == 1);
    CHECK(again.err.find("already exists; not overwriting it") != std::string::npos);
}
