import Foundation
import Testing
import TalonContracts

/// The contracts compiled into the binary are the files in genesis/contracts, byte for byte
/// (SwiftPM embeds them through the links in Sources/TalonContracts/Shipped/).
@Suite struct ShippedContractSourceTests {
    static let shippedLinks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/TalonContracts/Shipped").path

    @Test func embeddedSourcesAreTheShippedFiles() throws {
        #expect(ShippedContracts.all.map(\.name) == shippedNames)
        let links = try FileManager.default.contentsOfDirectory(atPath: Self.shippedLinks).sorted()
        #expect(links == shippedNames.map { "\($0).lua" }.sorted(), "one link per shipped contract")
        for name in shippedNames {
            let file = try shipped(name)
            let embedded = try #require(ShippedContracts.source(name), "\(name) is not embedded")
            #expect(embedded.utf8.elementsEqual(file.utf8),
                    "the embedded \(name).lua is not genesis/contracts/\(name).lua: does Sources/TalonContracts/Shipped/ still link to it?")
        }
        #expect(ShippedContracts.source("no-such-contract") == nil)
    }
}
