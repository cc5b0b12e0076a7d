@testable import TalonNode
import TalonProtocol
import Testing

/// The API's sizing rules: event-loop threads and connections, by default and as asked.
struct NodeAPISizingTests {
    @Test func theAPIGetsEveryCoreButOne() throws {
        #expect(NodeConfig.defaultAPIThreads(cores: 1) == 1)
        #expect(NodeConfig.defaultAPIThreads(cores: 2) == 1)
        #expect(NodeConfig.defaultAPIThreads(cores: 8) == 7)
        #expect(try NodeConfig.apiThreads(requested: nil, cores: 4) == 3)
        #expect(try NodeConfig.apiThreads(requested: 4, cores: 2) == 4, "asked for, it is what the operator says")
        for bad in [0, -1, 257] {
            #expect(throws: TalonError(.invalidOption)) { try NodeConfig.apiThreads(requested: bad, cores: 2) }
        }
    }

    @Test func aConfigFileNamesAPIThreads() throws {
        let config = try JSONForm.decode(NodeConfig.self, from: Array(#"{"data":"d","genesis":"g","node":"n1","key":"k","api_threads":3}"#.utf8))
        #expect(config.apiThreads == 3)
    }

    @Test func theConnectionLimitLeavesDescriptorsFree() throws {
        #expect(try NodeConfig.maxConnections(requested: nil, fileLimit: 65_536) == NodeConfig.defaultMaxConnections)
        #expect(try NodeConfig.maxConnections(requested: nil, fileLimit: 512) == 512 - NodeConfig.reservedDescriptors)
        #expect(try NodeConfig.maxConnections(requested: nil, fileLimit: 100) == 16)
        #expect(try NodeConfig.maxConnections(requested: 10, fileLimit: 512) == 10)
        #expect(throws: TalonError(.invalidOption)) { try NodeConfig.maxConnections(requested: 0, fileLimit: 512) }
        #expect(throws: TalonError(.invalidOption)) { try NodeConfig.maxConnections(requested: 300, fileLimit: 512) }
    }
}
