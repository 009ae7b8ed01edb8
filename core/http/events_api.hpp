#pragma once
// The event endpoints (GET /events, /events/{id}, /events/{id}/snapshot.jpg, /events/stream):
// queries of the host's event store (core/events/event_store.hpp) as HTTP. `store` is null when
// the config has no event store; each endpoint then answers 404 saying how to have one.
#include <memory>

#include "core/events/event_store.hpp"
#include "core/http/http_message.hpp"

namespace framehost::core {

// ?camera=&label=&zone=&type=&after=&before= (seconds since the epoch) &limit= (1 to 1000)
// &cursor=: {"events": [...newest first], "next_cursor": "..." or null}; 422 naming a bad one.
HttpResponse list_events(HostEventStore* store, const HttpRequest& request);
HttpResponse one_event(HostEventStore* store, const std::string& id);
HttpResponse event_snapshot(HostEventStore* store, const std::string& id);
// The event's clip file, whole or by byte range.
HttpResponse event_clip(HostEventStore* store, const std::string& id, const HttpRequest& request);
// Server-Sent Events: each change as `id: SEQ`, `event: new|update|end`, `data: EVENT JSON`,
// from the moment of connecting (or after Last-Event-ID while the host still holds it in
// memory); a comment line every 15 s keeps proxies from closing a quiet stream.
HttpResponse event_stream(HostEventStore* store, const HttpRequest& request);

}  // namespace framehost::core
