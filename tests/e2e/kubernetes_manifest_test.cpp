// configs/kubernetes/framehost.yaml, checked as far as this machine can without a cluster: every
// document well-formed, selectors that select their pods, probes and Services on ports the
// containers declare, the images scripts/image builds, and each framehost container's config
// passing framehost's own --check with the environment the manifest gives it (secrets stood in
// for), each frame-buffer argument one the binary knows.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include <yaml-cpp/yaml.h>

#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

using namespace framehost::test;

namespace {

const std::string kManifest = kSourceDir + "/configs/kubernetes/framehost.yaml";
const std::string kImageConfigs = "/opt/framehost/configs/";

// What the secret `framehost` would hold, for --check.
const std::map<std::string, std::string> kSecretStandIns = {
    {"api-token", "a-long-enough-token-for-the-check"},
    {"events-url", "postgresql://framehost:secret@events-db/framehost"},
    {"postgres-password", "secret"}};

bool selects(const YAML::Node& selector, const YAML::Node& labels) {
    if (!selector.IsMap() || selector.size() == 0) return false;
    for (const auto& pair : selector)
        if (!labels[pair.first.as<std::string>()] ||
            labels[pair.first.as<std::string>()].as<std::string>() != pair.second.as<std::string>())
            return false;
    return true;
}

std::set<std::string> port_names(const YAML::Node& container) {
    std::set<std::string> names;
    for (const auto& port : container["ports"]) {
        REQUIRE(port["containerPort"]);
        names.insert(port["name"].as<std::string>());
    }
    return names;
}

void check_probe(const YAML::Node& probe, const std::set<std::string>& ports) {
    if (!probe) return;
    auto action = probe["httpGet"] ? probe["httpGet"] : probe["tcpSocket"];
    REQUIRE(action);
    CHECK(ports.count(action["port"].as<std::string>()) == 1);
    if (probe["httpGet"]) CHECK(action["path"].as<std::string>().front() == '/');
}

}  // namespace

TEST_CASE("the Kubernetes manifest is well-formed, its parts fit, and its configs pass --check") {
    auto documents = YAML::LoadAllFromFile(kManifest);
    REQUIRE(documents.size() >= 8);
    std::map<std::string, YAML::Node> workloads;  // name -> pod template
    std::vector<YAML::Node> services;
    int framehost_containers = 0;
    for (const auto& document : documents) {
        auto kind = document["kind"].as<std::string>();
        auto name = document["metadata"]["name"].as<std::string>();
        CAPTURE(name);
        CHECK(!document["apiVersion"].as<std::string>().empty());
        if (kind == "Service") {
            services.push_back(document);
            continue;
        }
        REQUIRE((kind == "Deployment" || kind == "StatefulSet"));
        CHECK(document["apiVersion"].as<std::string>() == "apps/v1");
        auto pod = document["spec"]["template"];
        CHECK(selects(document["spec"]["selector"]["matchLabels"], pod["metadata"]["labels"]));
        CHECK(workloads.emplace(name, pod).second);
        for (const auto& container : pod["spec"]["containers"]) {
            auto image = container["image"].as<std::string>();
            CHECK((image == "framehost:latest" || image == "framehost-redis:latest" ||
                   image == "framehost-postgres:latest"));
            auto ports = port_names(container);
            check_probe(container["livenessProbe"], ports);
            check_probe(container["readinessProbe"], ports);
            std::map<std::string, std::string> env;
            for (const auto& variable : container["env"]) {
                auto key = variable["name"].as<std::string>();
                if (variable["value"]) {
                    env[key] = variable["value"].as<std::string>();
                } else {
                    auto secret = variable["valueFrom"]["secretKeyRef"];
                    REQUIRE(secret);
                    CHECK(secret["name"].as<std::string>() == "framehost");
                    REQUIRE(kSecretStandIns.count(secret["key"].as<std::string>()) == 1);
                    env[key] = kSecretStandIns.at(secret["key"].as<std::string>());
                }
            }
            auto args = container["args"] ? container["args"].as<std::vector<std::string>>()
                                          : std::vector<std::string>{};
            if (image != "framehost:latest") continue;
            if (container["command"]) {
                // The Frame Buffer, from the same image: every flag it is given, it knows.
                CHECK(container["command"][0].as<std::string>() == "frame-buffer");
                auto help = run_program(kFrameBufferBinary, {"--help"});
                for (const auto& arg : args)
                    if (arg.rfind("--", 0) == 0)
                        CHECK_MESSAGE(help.out.find(arg) != std::string::npos, arg);
                continue;
            }
            ++framehost_containers;
            REQUIRE(args.size() == 2);
            CHECK(args[0] == "--config");
            REQUIRE(args[1].rfind(kImageConfigs, 0) == 0);
            auto config = kSourceDir + "/configs/" + args[1].substr(kImageConfigs.size());
            auto checked = run_program(kFramehostBinary, {"--config", config, "--check"}, env);
            CHECK_MESSAGE(checked.exit_code == 0, (config + ": " + checked.out + checked.err));
        }
    }
    CHECK(framehost_containers >= 2);
    for (const auto& service : services) {
        CAPTURE(service["metadata"]["name"].as<std::string>());
        const YAML::Node* target = nullptr;
        for (const auto& [name, pod] : workloads)
            if (selects(service["spec"]["selector"], pod["metadata"]["labels"])) target = &pod;
        REQUIRE_MESSAGE(target, "the Service selects no pod");
        auto ports = port_names((*target)["spec"]["containers"][0]);
        for (const auto& port : service["spec"]["ports"])
            CHECK(ports.count(port["targetPort"].as<std::string>()) == 1);
    }
}
