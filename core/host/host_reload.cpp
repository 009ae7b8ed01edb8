// A config re-read while the host runs (SIGHUP, POST /config/reload, `framehost reload`),
// applied as a difference: instances whose entry did not change are kept, the others are built
// anew and swapped in between batches; configured sources that did not change keep running.
#include <set>

#include "core/host/host.hpp"
#include "core/log/log.hpp"

namespace framehost::core {

namespace {
// What makes an entry the same: its plugin's library (loaded again when its file changed), its
// params and how it is isolated, as written.
std::string entry_signature(const PluginUse& use) {
    auto dump = [](const YAML::Node& node) {
        return node.IsDefined() ? YAML::Dump(node) : std::string();
    };
    return use.plugin + "\n" + dump(use.params_node) + "\n" + dump(use.node["isolation"]) + "\n" +
           dump(use.node["worker"]) + "\n" +
           std::to_string(reinterpret_cast<std::uintptr_t>(use.library.get()));
}

const PluginUse* find_named(const std::vector<PluginUse>& uses, const std::string& name) {
    for (const auto& u : uses)
        if (u.instance_name == name) return &u;
    return nullptr;
}

nlohmann::json errors_json(const std::vector<ConfigError>& errors) {
    auto list = nlohmann::json::array();
    for (const auto& e : errors)
        list.push_back({{"file", e.origin},
                        {"line", e.line},
                        {"column", e.column},
                        {"message", e.message},
                        {"text", e.to_string()}});
    return list;
}
}  // namespace

Host::ReloadResult Host::reload() {
    std::lock_guard one_at_a_time(reload_mutex_);
    auto refused = [&](int status, nlohmann::json errors) {
        for (const auto& e : errors)
            log(LogLevel::Error, "reload",
                "refused: " + e.value("text", e.value("message", std::string())));
        return ReloadResult{false,
                            status,
                            {{"status", "refused"},
                             {"file", config_.file.string()},
                             {"errors", std::move(errors)}}};
    };
    auto message = [](const std::string& text) {
        return nlohmann::json::array({{{"message", text}}});
    };
    if (!loader_)
        return refused(409, message("this host was not started from a config file: there is "
                                    "nothing to re-read"));
    auto running = pipeline_->status();
    if (!running.started || running.stopping)
        return refused(409, message("the host is not running: nothing to reload"));
    HostConfig next;
    try {
        next = loader_();
    } catch (const ConfigErrors& errors) {
        return refused(422, errors_json(errors.errors()));
    } catch (const std::exception& e) {
        return refused(422, message(e.what()));
    }
    try {
        return apply(std::move(next));
    } catch (const std::exception& e) {
        return refused(422, message(e.what()));
    }
}

Host::ReloadResult Host::apply(HostConfig next) {
    // Host sections are read at start-up only: a change is reported, not applied.
    auto restart_required = nlohmann::json::array();
    std::set<std::string> keys;
    for (const auto& [k, v] : config_.section_text) keys.insert(k);
    for (const auto& [k, v] : next.section_text) keys.insert(k);
    for (const auto& key : keys) {
        auto before = config_.section_text.count(key) ? config_.section_text.at(key) : "";
        auto after = next.section_text.count(key) ? next.section_text.at(key) : "";
        if (before != after) restart_required.push_back(key);
    }

    // Processors and sinks: the same entry keeps its instance; a new or changed one is built.
    // Everything is built before anything changes: a constructor that throws refuses the reload.
    auto running = pipeline_->parts();
    auto instance_named = [&](const std::string& name) -> std::shared_ptr<PluginInstance> {
        for (const auto* list : {&running.processors, &running.sinks})
            for (const auto& i : *list)
                if (i->name() == name) return i;
        return nullptr;
    };
    nlohmann::json changes = nlohmann::json::object();
    auto build = [&](const std::vector<PluginUse>& before, const std::vector<PluginUse>& after,
                     const char* what) {
        std::vector<std::shared_ptr<PluginInstance>> built;
        nlohmann::json change = {{"added", nlohmann::json::array()},
                                 {"replaced", nlohmann::json::array()},
                                 {"removed", nlohmann::json::array()},
                                 {"kept", nlohmann::json::array()}};
        for (const auto& use : after) {
            const auto* old = find_named(before, use.instance_name);
            auto existing = old ? instance_named(use.instance_name) : nullptr;
            if (existing && entry_signature(*old) == entry_signature(use)) {
                built.push_back(existing);
                change["kept"].push_back(use.instance_name);
                continue;
            }
            built.push_back(instantiate(use));
            change[old ? "replaced" : "added"].push_back(use.instance_name);
        }
        for (const auto& use : before)
            if (!find_named(after, use.instance_name))
                change["removed"].push_back(use.instance_name);
        changes[what] = change;
        return built;
    };
    auto processors = build(config_.processors, next.processors, "processors");
    auto sinks = build(config_.sinks, next.sinks, "sinks");
    bool chain_changed = processors != running.processors || sinks != running.sinks;

    // Configured sources, by name: unchanged ones keep running (no reconnect).
    nlohmann::json source_change = {{"added", nlohmann::json::array()},
                                    {"replaced", nlohmann::json::array()},
                                    {"removed", nlohmann::json::array()},
                                    {"kept", nlohmann::json::array()}};
    std::vector<const PluginUse*> to_remove, to_add;
    for (const auto& use : config_.sources) {
        const auto* now = find_named(next.sources, use.instance_name);
        if (!now) {
            to_remove.push_back(&use);
            source_change["removed"].push_back(use.instance_name);
        } else if (entry_signature(*now) != entry_signature(use)) {
            to_remove.push_back(&use);
            to_add.push_back(now);
            source_change["replaced"].push_back(use.instance_name);
        } else {
            source_change["kept"].push_back(use.instance_name);
        }
    }
    for (const auto& use : next.sources)
        if (!find_named(config_.sources, use.instance_name)) {
            to_add.push_back(&use);
            source_change["added"].push_back(use.instance_name);
        }
    std::vector<SourcePart> new_sources;
    for (const auto* use : to_add)
        new_sources.push_back({instantiate(*use), source_retry_params().read(use->params)});
    changes["sources"] = source_change;

    if (chain_changed) pipeline_->replace_chain(processors, sinks);
    for (const auto* use : to_remove) pipeline_->remove_configured_source(use->instance_name);
    for (auto& part : new_sources) pipeline_->add_source(std::move(part), true);

    config_.processors = std::move(next.processors);
    config_.sinks = std::move(next.sinks);
    config_.sources = std::move(next.sources);
    ++reloads_;
    nlohmann::json body = {{"status", "reloaded"},
                           {"file", config_.file.string()},
                           {"reloads", reloads_},
                           {"changed", changes},
                           {"restart_required", restart_required}};
    std::string summary;
    for (const char* what : {"sources", "processors", "sinks"})
        for (const char* how : {"added", "replaced", "removed"})
            for (const auto& name : changes[what][how])
                summary += (summary.empty() ? "" : ", ") + name.get<std::string>() + " " + how;
    log(LogLevel::Info, "reload",
        "applied " + config_.file.string() + ": " +
            (summary.empty() ? "nothing changed" : summary));
    if (!restart_required.empty())
        log(LogLevel::Warn, "reload",
            "changes to " + restart_required.dump() + " take effect at the next start");
    return {true, 200, body};
}

}  // namespace framehost::core
