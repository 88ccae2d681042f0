import Foundation
import Logging
import SluiceStore

extension AccessControl {
    /// Opens the store the configuration names (Redis, or in memory with keys in `--data-dir`)
    /// and logs how the server is protected.
    public static func open(_ configuration: AccessConfiguration, logger: Logger) throws(GatewayError) -> AccessControl {
        do {
            if let url = configuration.redis {
                guard let pepperText = configuration.keyPepper else {
                    throw GatewayError(.invalidConfiguration, "--redis needs --key-pepper (or SLUICE_KEY_PEPPER)")
                }
                let pepper = Array(pepperText.utf8)
                let timeout = Duration.milliseconds(configuration.redisTimeoutMilliseconds)
                let redis = try RedisStore(configuration: RedisConfiguration(
                    host: url.host, port: url.port, connectTimeout: timeout, commandTimeout: timeout,
                    poolSize: configuration.redisPoolSize, password: url.password, database: url.database), pepper: pepper)
                let services = try redis.gatewayServices(
                    pepper: pepper, failurePolicy: configuration.redisFailure,
                    onEvent: { event in
                        switch event {
                        case let .sharedStoreUnreachable(policy, reason, suppressed):
                            logger.error("Redis unreachable; failure policy \(policy.rawValue) applies",
                                         metadata: ["error": .string(reason), "suppressed": .stringConvertible(suppressed)])
                        case .sharedStoreRecovered:
                            logger.notice("Redis reachable again")
                        }
                    },
                    onCacheError: { error in logger.debug("response cache unavailable", metadata: ["error": .string(error.message)]) })
                logger.notice("store: Redis at \(url.host):\(url.port) db \(url.database), failure policy \(configuration.redisFailure.rawValue)")
                let control = try AccessControl(configuration: configuration, services: services, pepper: pepper, logger: logger,
                                                onShutdown: { redis.shutdown() })
                control.logProtection()
                return control
            }
            let pepper = try inMemoryPepper(configuration)
            let services = try InMemoryStore.open(pepper: pepper, dataDirectory: configuration.dataDirectory)
            if let directory = configuration.dataDirectory {
                logger.notice("store: in memory, keys persisted in \(directory)/keys.json")
            } else {
                logger.notice("store: in memory, keys are lost on exit (set --data-dir to keep them)")
            }
            let control = try AccessControl(configuration: configuration, services: services, pepper: pepper, logger: logger)
            control.logProtection()
            return control
        } catch let error as GatewayError {
            throw error
        } catch let error as StoreError {
            throw GatewayError(.invalidConfiguration, "cannot open the key store: \(error.message)")
        } catch {
            throw GatewayError(.invalidConfiguration, "cannot open the key store: \(error)")
        }
    }

    func logProtection() {
        if configuration.isOpen {
            logger.warning("running OPEN: no admin key is set, so every /v1 route and the admin API accept callers without a key. Set --admin-key (or SLUICE_ADMIN_KEY) to require API keys.")
        } else {
            logger.notice("API keys required on /v1 routes; admin API enabled")
        }
    }

    /// The given pepper, else the one in `<data-dir>/pepper`, else a new one written there
    /// (mode 0600) so keys verify after a restart; without a data dir an ephemeral one.
    static func inMemoryPepper(_ configuration: AccessConfiguration) throws(GatewayError) -> [UInt8] {
        if let pepper = configuration.keyPepper { return Array(pepper.utf8) }
        var random = [UInt8](repeating: 0, count: 32)
        do {
            try OpenSSLRandomSource().fill(&random)
        } catch {
            throw GatewayError(.invalidConfiguration, "cannot generate a key pepper: \(error.message)")
        }
        let generated = random.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
        guard let directory = configuration.dataDirectory else { return Array(generated.utf8) }
        let path = (directory as NSString).appendingPathComponent("pepper")
        let manager = FileManager.default
        do {
            if let existing = manager.contents(atPath: path) {
                let text = String(decoding: existing, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard text.utf8.count >= 16 else {
                    throw GatewayError(.invalidConfiguration, "\(path) holds no usable pepper (at least 16 bytes)")
                }
                return Array(text.utf8)
            }
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let temporary = path + ".tmp"
            guard manager.createFile(atPath: temporary, contents: Data((generated + "\n").utf8),
                                     attributes: [.posixPermissions: 0o600]) else {
                throw GatewayError(.invalidConfiguration, "cannot write \(temporary)")
            }
            // rename(2) is atomic: a crash leaves either no pepper or a whole one.
            guard rename(temporary, path) == 0 else { throw GatewayError(.invalidConfiguration, "cannot rename \(temporary) to \(path)") }
            return Array(generated.utf8)
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError(.invalidConfiguration, "cannot create the data directory \(directory): \(error)")
        }
    }
}
