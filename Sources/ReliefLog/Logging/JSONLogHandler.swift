import Foundation
import HTTP
public import Logging
import Synchronization

/// A swift-log handler writing one JSON object per line to standard error, in the same shape
/// as the access log, so one tool can read everything the service prints.
///
/// Messages and metadata are written by the service's own code, which never puts request
/// bodies, names, notes or tokens into them.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private static let lock = Mutex(())

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line: [UInt8] = []
        line.append(contentsOf: #"{"time":""#.utf8)
        line.append(contentsOf: WallClock.iso8601Now().utf8)
        line.append(contentsOf: #"","level":""#.utf8)
        line.append(contentsOf: event.level.rawValue.utf8)
        line.append(contentsOf: #"","msg":""#.utf8)
        LogEscaping.appendEscaped(event.message.description, to: &line)
        line.append(UInt8(ascii: "\""))
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line.append(contentsOf: ",\"".utf8)
            LogEscaping.appendEscaped(key, to: &line)
            line.append(contentsOf: "\":\"".utf8)
            LogEscaping.appendEscaped(value.description, to: &line)
            line.append(UInt8(ascii: "\""))
        }
        line.append(contentsOf: "}\n".utf8)
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
