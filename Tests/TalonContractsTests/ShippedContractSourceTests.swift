import Foundation
import Testing
import TalonContracts

/// The contracts compiled into the binary are the files in genesis/contracts, byte for byte.
@Suite struct ShippedContractSourceTests {
    @Test func embeddedSourcesAreTheShippedFiles() throws {
        #expect(ShippedContracts.all.map(\.name) == shippedNames)
        for name in shippedNames {
            let file = try shipped(name)
            let embedded = try #require(ShippedContracts.source(name), "\(name) is not embedded")
            #expect(embedded.utf8.elementsEqual(file.utf8),
                    "Sources/TalonContracts/ShippedContracts.swift holds another \(name).lua than genesis/contracts: paste the file there")
        }
        #expect(ShippedContracts.source("no-such-contract") == nil)
    }
}
