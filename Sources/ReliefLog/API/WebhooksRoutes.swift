import HTTP
import JSON
import SQLite

/// `/v1/webhooks` and `/v1/events` (admin): webhook endpoints, their deliveries, and the event
/// feed (the contract's "Webhooks").
struct WebhooksRoutes {
    let database: DatabasePool
    let sealer: SecretSealer
    let clock: @Sendable () -> Int64
    /// Tells the delivery worker that deliveries were queued.
    let wake: @Sendable () -> Void

    /// How long a rotated-out secret keeps signing.
    static let rotationOverlap: Int64 = 24 * 3_600_000

    func register(in api: inout APIBuilder) {
        let database = database
        let sealer = sealer
        let clock = clock
        let wake = wake
        let admin = Access.roles([.admin], patientData: false)
        let idParameter = ParameterSpec(
            name: "id", location: .path, required: true, description: "The webhook's id.", schema: OpenAPI.idSchema)
        let pagingParameters = OpenAPI.pagingParameters.filter { $0.name != "updatedSince" }

        api.add(
            Operation(
                method: "POST", path: "/v1/webhooks", operationId: "createWebhook",
                summary:
                    "Register a webhook endpoint. The response is the only time its signing secret is shown; events committed from now on are delivered to it.",
                tag: "webhooks", access: admin, requestSchema: OpenAPI.ref("WebhookInput"),
                responses: [
                    .json(
                        201, "Created; `secret` is shown this once.", OpenAPI.ref("WebhookWithSecret"),
                        headers: ["Location": "The path of the new webhook."]),
                    .problem(400, "Malformed JSON."),
                    .problem(415, "The body is not application/json."),
                    .problem(422, "Validation failed (every failing field listed)."),
                ])
        ) { request, _ in
            let fields = try WebhookFields(validating: try RequestBody.object(request))
            let secret = WebhookSignature.generateSecret()
            let sealed = try sealer.seal(secret)
            let now = clock()
            let webhook = try await database.write { connection in
                try WebhookRepository(connection).insert(fields, secretSealed: sealed, now: now)
            }
            var response = HTTPResponse.json(Self.withSecret(webhook, secret, now: now), status: 201)
            response.headers.add("Location", "/v1/webhooks/\(webhook.id)")
            return response
        }

        api.add(
            Operation(
                method: "GET", path: "/v1/webhooks", operationId: "listWebhooks",
                summary: "List webhooks (never their secrets), by id ascending.", tag: "webhooks", access: admin,
                parameters: pagingParameters,
                responses: [
                    .json(200, "One page.", OpenAPI.ref("WebhookList")),
                    .problem(400, "A malformed or unknown query parameter."),
                ])
        ) { request, _ in
            var parameters = try QueryParameters(request)
            let limit = parameters.int("limit", PageLimit.range) ?? PageLimit.default
            let cursor = parameters.string("cursor")
            try parameters.finish()
            let page = try await database.read { connection in
                try WebhookRepository(connection).list(limit: limit, cursor: cursor)
            }
            let now = clock()
            return .json(page.json { $0.json(now: now) })
        }

        api.add(
            Operation(
                method: "GET", path: "/v1/webhooks/{id}", operationId: "getWebhook", summary: "A webhook.",
                tag: "webhooks", access: admin, parameters: [idParameter],
                responses: [.json(200, "The webhook.", OpenAPI.ref("Webhook")), .problem(404, "No such webhook.")])
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let webhook = try await database.read { connection in try WebhookRepository(connection).find(id: id) }
            guard let webhook else { throw RecordsError.notFound }
            return .json(webhook.json(now: clock()))
        }

        api.add(
            Operation(
                method: "PATCH", path: "/v1/webhooks/{id}", operationId: "updateWebhook",
                summary:
                    "Change a webhook with a JSON Merge Patch (url, events, description, active). Setting active to true again resumes delivery of what is still pending.",
                tag: "webhooks", access: admin, parameters: [idParameter], requestSchema: OpenAPI.ref("WebhookPatch"),
                requestContentTypes: ["application/merge-patch+json", "application/json"],
                responses: [
                    .json(200, "The changed webhook.", OpenAPI.ref("Webhook")),
                    .problem(400, "Malformed JSON."),
                    .problem(404, "No such webhook."),
                    .problem(415, "The body is not a merge patch or JSON."),
                    .problem(422, "The patched webhook fails validation."),
                ])
        ) { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let patch = try RequestBody.object(request, accepting: RequestBody.mergePatchMediaTypes)
            let now = clock()
            let webhook = try await database.write { connection -> Webhook in
                let repository = WebhookRepository(connection)
                guard let current = try repository.find(id: id) else { throw RecordsError.notFound }
                let currentFields = WebhookFields(
                    url: current.url, events: current.events, description: current.description, active: current.active)
                guard case .object(let merged) = JSON.mergePatch(.object(currentFields.json), .object(patch)) else {
                    throw ValidationError.single(.root, "must be a JSON object")
                }
                // Unknown members are reported from the patch itself (merging drops null ones).
                let fields = try WebhookFields(validating: Self.checkKnown(patch, merged))
                if fields == currentFields { return current }
                guard let updated = try repository.update(id: id, fields, now: now) else { throw RecordsError.notFound }
                return updated
            }
            wake()
            return .json(webhook.json(now: now))
        }

        api.add(
            Operation(
                method: "DELETE", path: "/v1/webhooks/{id}", operationId: "deleteWebhook",
                summary: "Delete a webhook and its deliveries; nothing more is sent to it.", tag: "webhooks",
                access: admin, parameters: [idParameter],
                responses: [.empty(204, "Deleted."), .problem(404, "No such webhook.")])
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let deleted = try await database.write { connection in try WebhookRepository(connection).delete(id: id) }
            guard deleted else { throw RecordsError.notFound }
            return .empty(status: 204)
        }

        api.add(
            Operation(
                method: "POST", path: "/v1/webhooks/{id}/rotate-secret", operationId: "rotateWebhookSecret",
                summary:
                    "Replace the signing secret. For 24 hours every delivery carries two signatures (new and old), so the receiver can switch without losing a message.",
                tag: "webhooks", access: admin, parameters: [idParameter],
                responses: [
                    .json(200, "The new secret, shown this once.", OpenAPI.ref("WebhookWithSecret")),
                    .problem(404, "No such webhook."),
                ])
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let secret = WebhookSignature.generateSecret()
            let sealed = try sealer.seal(secret)
            let now = clock()
            let webhook = try await database.write { connection -> Webhook in
                let repository = WebhookRepository(connection)
                guard let previous = try repository.sealedSecret(id: id) else { throw RecordsError.notFound }
                try repository.rotate(
                    id: id, newSealed: sealed, previousSealed: previous, previousUntil: now + Self.rotationOverlap,
                    now: now)
                guard let webhook = try repository.find(id: id) else { throw RecordsError.notFound }
                return webhook
            }
            return .json(Self.withSecret(webhook, secret, now: now))
        }

        api.add(
            Operation(
                method: "POST", path: "/v1/webhooks/{id}/test", operationId: "testWebhook",
                summary:
                    "Queue a `ping` event for this webhook only (even when it is inactive: the ping waits until it is active). Its delivery shows in the deliveries list.",
                tag: "webhooks", access: admin, parameters: [idParameter],
                responses: [
                    .json(202, "Queued; the delivery as it stands.", OpenAPI.ref("WebhookDelivery")),
                    .problem(404, "No such webhook."),
                ])
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let now = clock()
            let delivery = try await database.write { connection -> Delivery in
                guard try connection.exists("webhooks", id: id) else { throw RecordsError.notFound }
                try EventRepository(connection).insert(
                    type: EventType.ping, resourceId: id, patientId: nil, object: nil, webhookId: id, now: now)
                let deliveryId = connection.lastInsertRowID
                guard let delivery = try DeliveryRepository(connection).find(webhookId: id, id: deliveryId) else {
                    throw RecordsError.notFound
                }
                return delivery
            }
            wake()
            return .json(delivery.json, status: 202)
        }

        api.add(
            Operation(
                method: "GET", path: "/v1/webhooks/{id}/deliveries", operationId: "listWebhookDeliveries",
                summary:
                    "A webhook's deliveries, newest first: the event, state (pending, delivered, failed), attempts, last status and the next attempt.",
                tag: "webhooks", access: admin,
                parameters: [idParameter] + pagingParameters + [
                    .query("state", "Deliveries in this state.", Schemas.oneOf(DeliveryState.allCases.map(\.rawValue)))
                ],
                responses: [
                    .json(200, "One page.", OpenAPI.ref("WebhookDeliveryList")),
                    .problem(400, "A malformed or unknown query parameter."),
                    .problem(404, "No such webhook."),
                ])
        ) { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            var parameters = try QueryParameters(request)
            let limit = parameters.int("limit", PageLimit.range) ?? PageLimit.default
            let cursor = parameters.string("cursor")
            let state = parameters.oneOf("state", DeliveryState.allCases.map(\.rawValue)).flatMap(
                DeliveryState.init(rawValue:))
            try parameters.finish()
            let page = try await database.read { connection -> Page<Delivery> in
                guard try connection.exists("webhooks", id: id) else { throw RecordsError.notFound }
                return try DeliveryRepository(connection).list(
                    webhookId: id, state: state, limit: limit, cursor: cursor)
            }
            return .json(page.json(\.json))
        }

        api.add(
            Operation(
                method: "POST", path: "/v1/webhooks/{id}/deliveries/{deliveryId}/retry",
                operationId: "retryWebhookDelivery",
                summary:
                    "Send a delivery again now (failed, pending, or even delivered). A failed delivery gets one more attempt, plus whatever remains of the retry schedule.",
                tag: "webhooks", access: admin,
                parameters: [
                    idParameter,
                    ParameterSpec(
                        name: "deliveryId", location: .path, required: true, description: "The delivery's id.",
                        schema: OpenAPI.idSchema),
                ],
                responses: [
                    .json(202, "Queued for an attempt now.", OpenAPI.ref("WebhookDelivery")),
                    .problem(404, "No such webhook or delivery."),
                ])
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let deliveryId = try context.parameters.require("deliveryId", as: Int64.self)
            let now = clock()
            let delivery = try await database.write { connection -> Delivery in
                let repository = DeliveryRepository(connection)
                guard try repository.retry(webhookId: id, id: deliveryId, now: now),
                    let delivery = try repository.find(webhookId: id, id: deliveryId)
                else { throw RecordsError.notFound }
                return delivery
            }
            wake()
            return .json(delivery.json, status: 202)
        }

        let typePatterns = ["*"] + ResourceKind.allCases.map { "\($0.rawValue).*" } + EventType.all
        api.add(
            Operation(
                method: "GET", path: "/v1/events", operationId: "listEvents",
                summary:
                    "Every event (creates, changes, deletions) in commit order, as a durable feed for integrations that poll instead of receiving webhooks. Pass the previous page's nextCursor as `after`; at the end of the feed nextCursor is still given (poll again with it later).",
                tag: "webhooks", access: .roles([.admin], patientData: true),
                parameters: [
                    .query(
                        "after", "The nextCursor of the previous page; absent: from the oldest kept event.",
                        ["type": "string"]),
                    .query(
                        "type", "Only events of this type, or of this resource (`episode.*`).",
                        Schemas.oneOf(typePatterns)),
                    .query(
                        "limit", "Page size (default 50, at most 500).",
                        ["type": "integer", "minimum": 1, "maximum": 500]),
                ],
                responses: [
                    .json(200, "One page of the feed.", OpenAPI.ref("EventList")),
                    .problem(400, "A malformed or unknown query parameter, or a cursor of another list."),
                ])
        ) { request, _ in
            var parameters = try QueryParameters(request)
            let limit = parameters.int("limit", PageLimit.range) ?? PageLimit.default
            let after = parameters.string("after")
            let type = parameters.oneOf("type", typePatterns)
            try parameters.finish()
            var afterSeq: Int64 = 0
            if let after {
                guard let key = Cursor.decode(after, list: "events", count: 1), key[0] >= 0 else {
                    throw RecordsError.invalidCursor
                }
                afterSeq = key[0]
            }
            let start = afterSeq
            let fetched = try await database.read { connection in
                try EventRepository(connection).feed(after: start, typePattern: type, limit: limit + 1)
            }
            let items = Array(fetched.prefix(limit))
            var body = JSONObject()
            body.append("items", .array(items.map(\.json)))
            body.append("nextCursor", .string(Cursor.encode(list: "events", key: [items.last?.seq ?? afterSeq])))
            body.append("hasMore", .bool(fetched.count > limit))
            return .json(.object(body))
        }
    }

    private static func withSecret(_ webhook: Webhook, _ secret: String, now: Int64) -> JSONValue {
        guard case .object(var object) = webhook.json(now: now) else { preconditionFailure("a webhook is an object") }
        object.append("secret", .string(secret))
        return .object(object)
    }

    /// The merged body, with the patch's unknown or server-managed members put back so the
    /// validation reports them.
    private static func checkKnown(_ patch: JSONObject, _ merged: JSONObject) -> JSONObject {
        var object = merged
        for (key, value) in patch where !WebhookFields.known.contains(key) {
            object[key] = value.isNull ? .bool(false) : value
        }
        return object
    }
}

extension Delivery {
    var json: JSONValue {
        var event = JSONObject()
        event.append("id", .string(eventId))
        event.append("type", .string(eventType))
        var object = JSONObject()
        object.append("id", .number(.integer(id)))
        object.append("webhookId", .number(.integer(webhookId)))
        object.append("event", .object(event))
        object.append("state", .string(state.rawValue))
        object.append("attempts", .number(.integer(Int64(attempts))))
        object.append("lastStatus", lastStatus.map { .number(.integer(Int64($0))) } ?? .null)
        object.append("lastError", lastError.map(JSONValue.string) ?? .null)
        object.append("lastAttemptAt", lastAttemptAt.map { .string(Timestamp.format($0)) } ?? .null)
        object.append("nextAttemptAt", nextAttemptAt.map { .string(Timestamp.format($0)) } ?? .null)
        object.append("deliveredAt", deliveredAt.map { .string(Timestamp.format($0)) } ?? .null)
        object.append("createdAt", .string(Timestamp.format(createdAt)))
        return .object(object)
    }
}
