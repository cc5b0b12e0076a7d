extension Code {
    /// What sort of outcome a code is; a problem's HTTP status follows from it.
    public enum Kind: String, CaseIterable, Hashable, Sendable {
        /// Not a failure: `ok`, `admitted`.
        case success
        /// The input is malformed, or breaks a rule of its own (400).
        case invalid
        /// The signer, key or peer may not do this (403).
        case forbidden
        /// The thing named does not exist (404).
        case notFound
        /// The state of what is named forbids it: used, void, taken, cancelled (409).
        case conflict
        /// The input is over a size limit (413).
        case tooLarge
        /// The request body is in a media type the route does not read (415).
        case unsupportedMediaType
        /// Talon's own failure: a damaged store, a failed write, a bug (500).
        case fault
        /// Not now: no leader, overloaded, stopping; retrying may succeed (503).
        case unavailable
        /// The node's disk is full: it serves reads but refuses writes until space returns
        /// (507 Insufficient Storage); retrying later, or through another node, may succeed.
        case insufficientStorage

        /// The HTTP status of a problem of this kind.
        public var httpStatus: Int {
            switch self {
            case .success: 200
            case .invalid: 400
            case .forbidden: 403
            case .notFound: 404
            case .conflict: 409
            case .tooLarge: 413
            case .unsupportedMediaType: 415
            case .fault: 500
            case .unavailable: 503
            case .insufficientStorage: 507
            }
        }
    }

    /// What sort of outcome this code is.
    public var kind: Kind {
        switch self {
        case .ok, .admitted:
            .success
        case .truncated, .trailingBytes, .overlongLength, .unknownVersion, .unknownOperation, .nonCanonical, .invalidJSON,
             .badSignature, .wrongChain, .invalidField, .priceMismatch, .invalidGenesis, .invalidBatch, .proofOutOfRange,
             .contractBudget, .contractError, .contractResult, .contractInvalid, .invalidContext,
             .invalidKeyText, .keyFileMalformed, .decryptionFailed,
             .raftMalformed, .raftConfig, .peerMalformed, .peerProtocol, .peerFrameRejected, .peerWrongChain,
             .invalidAddress, .invalidOption, .invalidParameter,
             .malformed, .noCode, .expiredWindow, .passUnencodable, .invalidSnapshot, .qrEncodeFailed, .imageUnreadable,
             .invalidArgument, .missingOption, .invalidUTF8, .noNode, .invalidAnswer, .invalidCertificate:
            .invalid
        case .notAuthorized, .notHolder, .wrongZone, .contractDenied, .keyFilePermissions,
             .peerUnknownMember, .peerBadProof, .peerUnauthenticated, .forged, .wrongEvent, .wrongGateKey, .notAGate:
            .forbidden
        case .unknownEvent, .unknownTicket, .unknownContract, .notFound, .gateNotSynced:
            .notFound
        case .nonceReused, .alreadyExists, .ticketExists, .overCapacity, .alreadyRedeemed, .ticketVoid, .superseded,
             .contractLocked, .notListed, .eventCancelled, .notRefundable, .ticketRefunded, .tooEarly,
             .genesisMismatch, .keyFileExists, .fileExists, .gateGenesisMismatch, .gatePendingAdmissions, .raftCompacted:
            .conflict
        case .bodyTooLarge, .batchTooLarge, .proposalTooLarge, .peerFrameTooLarge, .qrTooLong:
            .tooLarge
        case .storeCorrupt, .verifyFailed, .merkleNodeMissing, .merkleNodeCorrupt, .keyFileIO, .nonceExhausted,
             .storeOpenFailed, .storeError, .storeMapFull, .storeValueTooLarge, .storeNotAppending, .storeTransactionClosed,
             .raftStorage, .unadmittedBatch, .corruptEntry, .nodeStore, .internal,
             .gateStoreCorrupt, .imageWriteFailed, .ioError, .benchSetup, .benchFailed, .simViolation:
            .fault
        case .notLeader, .leaderTransferring, .noLeader, .proposalDropped, .timeout, .overloaded, .nodeStopped,
             .tooManyConnections, .stalled, .unreachable:
            .unavailable
        case .storeFull:
            .insufficientStorage
        case .unsupportedMediaType:
            .unsupportedMediaType
        }
    }
}
