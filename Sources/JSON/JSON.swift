/// Strict JSON parsing and fast serialization (RFC 8259), plus JSON Merge Patch
/// (RFC 7386).
public enum JSON {
    /// Parses exactly one JSON value, strictly per RFC 8259.
    ///
    /// Accepted: one value with optional surrounding whitespace (space, tab,
    /// LF, CR). Rejected, with the byte offset of the problem: comments,
    /// trailing commas, single quotes, NaN and Infinity, leading zeros, a
    /// leading '+', numbers like "1." or ".5", invalid UTF-8 (including
    /// overlongs and encoded surrogates), raw control characters in strings,
    /// invalid escapes, lone UTF-16 surrogates in `\u` escapes, duplicate
    /// object keys (unless `duplicateMemberNames` is `.lastWins`), a byte order mark, data after the value, and nesting deeper
    /// than `maxDepth` arrays and objects.
    ///
    /// Numbers without fraction or exponent that fit `Int64` become
    /// `.integer`; all others become `.double`, and one too large for a
    /// `Double` is an error.
    ///
    /// Inputs with contiguous storage (`[UInt8]`, `ArraySlice<UInt8>`,
    /// `UnsafeRawBufferPointer`, `String.UTF8View`, Foundation's `Data`) are
    /// parsed in place without copying; other collections are copied into an
    /// array first. The function is inlinable so the generic shim specializes
    /// in the caller's module.
    ///
    /// - Parameters:
    ///   - maxDepth: the deepest nesting of arrays and objects accepted;
    ///     `[[1]]` has depth 2, a scalar depth 0.
    ///   - duplicateMemberNames: what an object naming a member twice means;
    ///     `.reject` (the default, and what every request body gets) refuses it.
    @inlinable
    public static func parse(
        _ bytes: some Collection<UInt8>, maxDepth: Int = 64, duplicateMemberNames: DuplicateMemberNames = .reject
    ) throws(JSONParseError) -> JSONValue {
        let result =
            bytes.withContiguousStorageIfAvailable { buffer in
                parseBuffer(buffer, maxDepth: maxDepth, duplicateMemberNames: duplicateMemberNames)
            }
            ?? Array(bytes).withUnsafeBufferPointer { buffer in
                parseBuffer(buffer, maxDepth: maxDepth, duplicateMemberNames: duplicateMemberNames)
            }
        return try result.get()
    }

    /// Parses the UTF-8 contents of `string`; see the byte-collection overload.
    public static func parse(
        _ string: String, maxDepth: Int = 64, duplicateMemberNames: DuplicateMemberNames = .reject
    ) throws(JSONParseError) -> JSONValue {
        var string = string
        // Native strings are already contiguous UTF-8, so this does not copy.
        let result = string.withUTF8 { buffer in
            parseBuffer(buffer, maxDepth: maxDepth, duplicateMemberNames: duplicateMemberNames)
        }
        return try result.get()
    }

    /// What the parser does with an object that names a member more than once.
    ///
    /// RFC 8259 §4 says names SHOULD be unique and leaves the meaning of a repeated name to
    /// the implementation, so such a text is valid JSON that parsers read differently.
    public enum DuplicateMemberNames: Sendable, Hashable {
        /// Refuse the document, with the offset of the second name: a body whose meaning
        /// depends on the parser is not accepted. The default.
        case reject
        /// Keep the last value, at the position of the first occurrence (what ECMAScript's
        /// `JSON.parse` does): every valid JSON text is accepted.
        case lastWins
    }

    /// The non-generic parser entry; `Result` carries the typed error through
    /// the standard library's `rethrows` closures.
    @usableFromInline
    static func parseBuffer(
        _ buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int, duplicateMemberNames: DuplicateMemberNames = .reject
    ) -> Result<JSONValue, JSONParseError> {
        var parser = JSONParser(bytes: buffer, maxDepth: maxDepth, duplicateMemberNames: duplicateMemberNames)
        do throws(JSONParseError) {
            return .success(try parser.parseDocument())
        } catch {
            return .failure(error)
        }
    }

    /// Compact JSON text (no whitespace), object members in insertion order.
    ///
    /// Doubles are written as Swift's shortest round-trip text (`2.0`, `0.1`,
    /// `1e-07`); NaN and infinities have no JSON form and are written as `null`.
    public static func serialize(_ value: JSONValue) -> [UInt8] {
        var sink = ByteSink(capacity: 512)
        JSONSerializer.write(value, into: &sink)
        return sink.withBytes { Array($0) }
    }

    /// Appends the compact JSON text of `value` to `buffer`, e.g. after
    /// response headers.
    public static func serialize(_ value: JSONValue, into buffer: inout [UInt8]) {
        var sink = ByteSink(capacity: 512)
        JSONSerializer.write(value, into: &sink)
        sink.withBytes { buffer.append(contentsOf: $0) }
    }

    /// The compact JSON text of `value` as a `String`.
    public static func string(_ value: JSONValue) -> String {
        var sink = ByteSink(capacity: 512)
        JSONSerializer.write(value, into: &sink)
        return sink.withBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// JSON text indented by two spaces, `"key": value`, members in insertion
    /// order and no trailing newline, for documents people read.
    public static func prettyString(_ value: JSONValue) -> String {
        var sink = ByteSink(capacity: 4096)
        JSONSerializer.writePretty(value, indent: 0, into: &sink)
        return sink.withBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Applies a JSON Merge Patch (RFC 7386 §2) to `target`.
    ///
    /// A patch that is not an object replaces the target. An object patch
    /// turns a non-object target into `{}` and then, member by member, removes
    /// the member where the patch value is `null` and otherwise merges
    /// recursively. New members are appended after the existing ones.
    public static func mergePatch(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let patchObject) = patch else { return patch }
        var result: JSONObject
        if case .object(let targetObject) = target {
            result = targetObject
        } else {
            result = JSONObject()
        }
        for (key, value) in patchObject {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = mergePatch(result[key] ?? .null, value)
            }
        }
        return .object(result)
    }
}
