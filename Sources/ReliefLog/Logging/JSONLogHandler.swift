import Foundation
import JSON
public import Logging
import Synchronization
import ThreadSupport

/// A swift-log handler writing one JSON object per line to standard error, in the same shape
/// as the access log, so one tool can read everything the service prints.
///
/// Messages and metadata are written by the service's own code, which never puts request
/// bodies, names, notes or tokens into them.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private static let lock = Locked(())

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object = JSONObject()
        object.append("time", .string(Timestamp.formatWithMilliseconds(EpochClock.now())))
        object.append("level", .string(event.level.rawValue))
        object.append("msg", .string(event.message.description))
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) where object[key] == nil {
            object.append(key, .string(value.description))
        }
        var line = JSON.serialize(.object(object))
        line.append(UInt8(ascii: "\n"))
        JSONLogHandler.lock.withLock { _ in
            FileHandle.standardError.write(Data(line))
        }
    }
}

extension Logger.Level {
    /// Parses the configuration's level names ("info", "debug", ...).
    public init?(configurationName: String) {
        self.init(rawValue: configurationName)
    }
}
