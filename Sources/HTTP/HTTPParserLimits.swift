/// Size limits that bound how much a single request may make the parser hold.
///
/// Every limit is checked while bytes are still arriving, so a client that
/// sends an endless line or header section is rejected as soon as the limit is
/// passed instead of being buffered without bound.
///
/// A value exactly at a limit is accepted; one byte (or one field) over is
/// rejected with the status given on each property.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Longest accepted request line, counted without its CRLF.
    ///
    /// Over this the request fails with 414 (URI Too Long), even before the
    /// line's CRLF has arrived.
    public var maxRequestLineBytes: Int

    /// Largest accepted header section after the request line: every field
    /// line including its CRLF, not counting the empty line that ends the
    /// section. Over this the request fails with 431.
    public var maxHeaderBytes: Int

    /// Most header fields accepted. Over this the request fails with 431.
    public var maxHeaderCount: Int

    /// Largest accepted body. A `Content-Length` over this fails with 413
    /// before any body byte is read; a chunked body fails with 413 as soon as
    /// a chunk-size line would take the total over it.
    public var maxBodyBytes: Int

    /// The body limit of requests whose path ends with one of `largeBodyPathSuffixes` (bulk
    /// imports), in place of `maxBodyBytes`; enforced the same way.
    public var maxLargeBodyBytes: Int

    /// Path endings (percent-encoded, as received) that take `maxLargeBodyBytes`; empty, the
    /// default, gives every request `maxBodyBytes`.
    public var largeBodyPathSuffixes: [String]

    /// The body limit of a request to `path`.
    public func maxBodyBytes(forPath path: String) -> Int {
        largeBodyPathSuffixes.contains { path.hasSuffix($0) } ? maxLargeBodyBytes : maxBodyBytes
    }

    /// Longest accepted chunk-size line (size and extensions, without CRLF).
    /// Over this the request fails with 400.
    public var maxChunkLineBytes: Int

    /// Largest accepted trailer section after the last chunk: every trailer
    /// field line including its CRLF, not counting the final empty line.
    /// Over this the request fails with 431.
    public var maxTrailerBytes: Int

    /// Creates limits; every argument has a default suitable for a small JSON API.
    public init(
        maxRequestLineBytes: Int = 8 * 1024,
        maxHeaderBytes: Int = 32 * 1024,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 1024 * 1024,
        maxChunkLineBytes: Int = 1024,
        maxTrailerBytes: Int = 8 * 1024,
        maxLargeBodyBytes: Int = 64 * 1024 * 1024,
        largeBodyPathSuffixes: [String] = []
    ) {
        self.maxLargeBodyBytes = maxLargeBodyBytes
        self.largeBodyPathSuffixes = largeBodyPathSuffixes
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkLineBytes = maxChunkLineBytes
        self.maxTrailerBytes = maxTrailerBytes
    }
}
