import Dispatch
import Synchronization
import ThreadSupport

#if canImport(Glibc)
import Glibc
#endif

/// One JSON line per request on a file descriptor (standard error by default):
/// `{"time":…,"level":"info","msg":"request","method":"GET","route":"/v1/episodes/{id}","status":200,"durationMs":0.41,"bytes":312,"requestId":"…"}`.
///
/// Only the route *template* is logged, never the path, query, headers or body: paths carry
/// identifiers and bodies carry health data. Lines are buffered and written at most every
/// 100 ms (or when 32 KiB accumulate), so logging costs no system call per request; `flush()`
/// writes what is pending (the server calls it on shutdown).
public final class AccessLog: HTTPServerObserver {
    private let fd: Int32
    private let buffer = Locked<[UInt8]>([])
    private let timer: SendableSource<any DispatchSourceTimer>
    private static let flushThreshold = 32 * 1024

    public init(fileDescriptor: Int32 = 2) {
        self.fd = fileDescriptor
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "relieflog.accesslog"))
        self.timer = SendableSource(timer)
        timer.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100), leeway: .milliseconds(20))
        timer.setEventHandler { [weak self] in self?.flush() }
        timer.resume()
    }

    deinit {
        timer.source.cancel()
        flush()
    }

    public func requestCompleted(_ record: HTTPRequestRecord) {
        var line: [UInt8] = []
        line.reserveCapacity(200)
        line.append(contentsOf: #"{"time":""#.utf8)
        line.append(contentsOf: WallClock.iso8601Now().utf8)
        line.append(contentsOf: #"","level":"info","msg":"request","method":""#.utf8)
        LogEscaping.appendEscaped(record.method, to: &line)
        line.append(contentsOf: #"","route":""#.utf8)
        LogEscaping.appendEscaped(record.route, to: &line)
        line.append(contentsOf: #"","status":"#.utf8)
        line.append(contentsOf: String(record.status).utf8)
        line.append(contentsOf: #","durationMs":"#.utf8)
        line.append(contentsOf: LogEscaping.milliseconds(record.durationNanoseconds).utf8)
        line.append(contentsOf: #","bytes":"#.utf8)
        line.append(contentsOf: String(record.bodyBytes).utf8)
        line.append(contentsOf: #","requestId":""#.utf8)
        LogEscaping.appendEscaped(record.requestId, to: &line)
        line.append(contentsOf: "\"}\n".utf8)
        let full = buffer.withLock { pending -> Bool in
            pending.append(contentsOf: line)
            return pending.count >= AccessLog.flushThreshold
        }
        if full { flush() }
    }

    /// Writes every buffered line now.
    public func flush() {
        let pending = buffer.withLock { pending -> [UInt8] in
            let taken = pending
            pending.removeAll(keepingCapacity: true)
            return taken
        }
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

/// Shared by the log writers: JSON string escaping and number formatting without Foundation.
public enum LogEscaping {
    /// Appends `text` escaped for a JSON string (quotes, backslash, control characters).
    public static func appendEscaped(_ text: String, to line: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): line.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): line.append(contentsOf: [92, 92])
            case 0x0A: line.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: line.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: line.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                line.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: line.append(byte)
            }
        }
    }

    /// Nanoseconds as milliseconds with three decimals ("0.412").
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let micros = nanoseconds / 1000
        let fraction = micros % 1000
        let padded = fraction < 10 ? "00\(fraction)" : fraction < 100 ? "0\(fraction)" : "\(fraction)"
        return "\(micros / 1000).\(padded)"
    }
}

/// UTC wall-clock time as RFC 3339 with milliseconds, the seconds part formatted once per second.
public enum WallClock {
    private static let cache = Locked<(second: Int, text: String)>((-1, ""))

    public static func iso8601Now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        let second = spec.tv_sec
        let millis = spec.tv_nsec / 1_000_000
        let prefix = cache.withLock { cached -> String in
            if cached.second != second {
                var time = second
                var parts = tm()
                gmtime_r(&time, &parts)
                func pad(_ value: Int32, _ width: Int) -> String {
                    let text = String(value)
                    return String(repeating: "0", count: max(0, width - text.count)) + text
                }
                cached = (
                    second,
                    "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
                        + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
                )
            }
            return cached.text
        }
        let millisText = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(prefix).\(millisText)Z"
    }
}
