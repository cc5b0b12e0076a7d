public import TalonProtocol
import TalonLedger
public import TalonRaft

/// The voting members a genesis lists, with the Raft id each gets: its position in the
/// genesis `members` list, counting from 1. Every node derives the same ids from the same file.
public struct ClusterMembers: Sendable {
    /// The genesis file the members come from.
    public let genesis: GenesisFile
    /// Raft ids in genesis order.
    public let ids: [NodeID]

    public init(_ genesis: GenesisFile) {
        self.genesis = genesis
        ids = genesis.genesis.members.indices.map { NodeID($0 + 1) }
    }

    /// The genesis entry of a Raft id, nil when no member has it.
    public func member(_ id: NodeID) -> Genesis.Member? {
        guard id >= 1, id <= UInt64(genesis.genesis.members.count) else { return nil }
        return genesis.genesis.members[Int(id - 1)]
    }

    /// The Raft id of the member named `name` in the genesis.
    public func id(named name: String) -> NodeID? {
        genesis.genesis.members.firstIndex { $0.id == name }.map { NodeID($0 + 1) }
    }

    /// The Raft id of the member whose key is `key`.
    public func id(of key: PublicKey) -> NodeID? {
        genesis.genesis.members.firstIndex { $0.key == key }.map { NodeID($0 + 1) }
    }
}
