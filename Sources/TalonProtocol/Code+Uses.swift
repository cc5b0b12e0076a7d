extension Code {
    /// Where a code can appear besides errors and logs.
    public struct Uses: OptionSet, Hashable, Sendable {
        /// The set's bits, one per use.
        public let rawValue: UInt8
        /// Makes a set from its bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// A block can record it as an envelope's result (`ReasonCode` in docs/openapi.yaml).
        public static let result = Uses(rawValue: 1 << 0)
        /// An API problem can carry it (`ProblemCode` in docs/openapi.yaml).
        public static let problem = Uses(rawValue: 1 << 1)
        /// A gate verdict can carry it.
        public static let verdict = Uses(rawValue: 1 << 2)
        /// Admission can refuse one envelope of a submission with it, before anything is
        /// proposed (`RefusalCode` in docs/openapi.yaml).
        public static let refusal = Uses(rawValue: 1 << 3)
    }

    /// Where this code can appear.
    public var uses: Uses {
        switch self {
        case .ok, .nonceReused, .notHolder, .alreadyExists, .ticketExists, .overCapacity, .unknownContract, .contractLocked,
             .contractDenied, .contractBudget, .contractError, .contractResult, .contractInvalid, .notListed, .priceMismatch,
             .notRefundable:
            [.result]
        case .wrongChain, .invalidField, .notAuthorized:
            [.result, .problem, .refusal]
        case .unknownEvent:
            [.result, .problem]
        case .unknownTicket, .alreadyRedeemed, .ticketVoid, .ticketRefunded:
            [.result, .problem, .verdict]
        case .superseded, .wrongZone, .eventCancelled:
            [.result, .verdict]
        case .admitted, .malformed, .noCode, .forged, .wrongEvent, .expiredWindow, .tooEarly:
            [.verdict]
        case .overlongLength, .badSignature:
            [.problem, .refusal]
        case .invalidJSON, .unknownVersion, .invalidBatch, .invalidParameter, .truncated, .trailingBytes, .unknownOperation,
             .nonCanonical, .unsupportedMediaType, .proofOutOfRange, .notFound, .bodyTooLarge, .batchTooLarge, .noLeader, .notLeader, .leaderTransferring,
             .proposalDropped, .timeout, .nodeStopped, .overloaded, .tooManyConnections, .stalled,
             .internal, .storeCorrupt, .storeError, .nodeStore, .storeFull:
            [.problem]
        case .genesisMismatch, .invalidGenesis,
             .verifyFailed, .merkleNodeMissing, .merkleNodeCorrupt, .invalidContext,
             .invalidKeyText, .keyFilePermissions, .keyFileIO, .keyFileMalformed, .keyFileExists, .decryptionFailed,
             .nonceExhausted, .storeOpenFailed, .storeMapFull, .storeValueTooLarge, .storeNotAppending,
             .storeTransactionClosed, .proposalTooLarge, .raftStorage, .raftCompacted, .raftMalformed, .raftConfig,
             .unadmittedBatch, .peerFrameTooLarge, .peerMalformed, .peerWrongChain, .peerUnknownMember, .peerBadProof,
             .peerUnauthenticated, .peerFrameRejected, .peerProtocol, .corruptEntry, .invalidAddress, .invalidOption,
             .wrongGateKey, .passUnencodable, .gateGenesisMismatch, .gateNotSynced, .gatePendingAdmissions,
             .gateStoreCorrupt, .invalidSnapshot, .qrTooLong, .qrEncodeFailed, .imageUnreadable, .imageWriteFailed,
             .invalidArgument, .missingOption, .invalidUTF8, .ioError, .fileExists, .noNode, .unreachable,
             .invalidAnswer, .invalidCertificate, .notAGate, .benchSetup, .benchFailed, .simViolation:
            []
        }
    }

    /// The codes a block can record as an envelope's result, `ok` first.
    public static var results: [Code] { allCases.filter { $0.uses.contains(.result) } }
    /// The codes an API problem can carry.
    public static var problems: [Code] { allCases.filter { $0.uses.contains(.problem) } }
    /// The codes a gate verdict can carry, `admitted` first.
    public static var verdicts: [Code] { allCases.filter { $0.uses.contains(.verdict) } }
    /// The codes admission can refuse one envelope of a submission with.
    public static var refusals: [Code] { allCases.filter { $0.uses.contains(.refusal) } }
}
