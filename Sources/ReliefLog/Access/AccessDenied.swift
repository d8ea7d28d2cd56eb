/// A valid token whose role may not do this: 403 (API.md). Objects outside a token's reach
/// are 404 instead (`RecordsError.notFound`), so their existence does not leak.
enum AccessDenied: Error, Sendable {
    case role(Role)
    case other(String)
}
