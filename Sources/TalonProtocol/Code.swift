/// Every stable code Talon gives an outcome: the results a block records, API problems,
/// gate verdicts, and the errors of every module and of the CLI.
///
/// The registry is closed: an error, a verdict or a problem can only carry one of these
/// cases, so no code exists outside it. `name` is the text that appears on the wire, in
/// blocks, in logs and in `error[code]: message`; `kind` says what sort of outcome it is
/// (and so a problem's HTTP status); `uses` says where it can appear.
public enum Code: String, CaseIterable, Hashable, Sendable, Encodable, CustomStringConvertible {
    // MARK: success
    /// The ledger applied the envelope.
    case ok
    /// The gate lets the holder in.
    case admitted

    // MARK: ledger: decoding (binary and JSON)
    /// The input ends before the value does.
    case truncated
    /// Bytes follow a complete value.
    case trailingBytes = "trailing_bytes"
    /// A length or count exceeds the bytes that follow or the field's limit.
    case overlongLength = "overlong_length"
    /// The version byte is not one this build knows.
    case unknownVersion = "unknown_version"
    /// The operation kind is not one this build knows.
    case unknownOperation = "unknown_operation"
    /// The bytes decode, but not in the one canonical form.
    case nonCanonical = "non_canonical"
    /// The JSON form is malformed, has a wrong type, or has unknown or missing fields.
    case invalidJSON = "invalid_json"

    // MARK: ledger: admission
    /// The signature does not verify for the signer over the envelope.
    case badSignature = "bad_signature"
    /// The envelope names another chain.
    case wrongChain = "wrong_chain"
    /// A field is out of its allowed range or shape.
    case invalidField = "invalid_field"

    // MARK: ledger: apply
    /// The signer already used this nonce.
    case nonceReused = "nonce_reused"
    /// The signer's role does not allow this operation.
    case notAuthorized = "not_authorized"
    /// The signer does not hold the ticket.
    case notHolder = "not_holder"
    /// No such event.
    case unknownEvent = "unknown_event"
    /// No such ticket.
    case unknownTicket = "unknown_ticket"
    /// The issuer, event, gate or contract is already registered.
    case alreadyExists = "already_exists"
    /// A ticket id in an issue batch is already taken.
    case ticketExists = "ticket_exists"
    /// Issuing would exceed the event's capacity.
    case overCapacity = "over_capacity"
    /// The ticket was redeemed already.
    case alreadyRedeemed = "already_redeemed"
    /// The ticket was voided by its issuer.
    case ticketVoid = "ticket_void"
    /// The ticket changed hands since the ownership the redeem or pass names.
    case superseded
    /// The gate admits other sections than the ticket's.
    case wrongZone = "wrong_zone"
    /// No contract with that id is deployed.
    case unknownContract = "unknown_contract"
    /// The event's contract cannot be replaced once tickets are issued.
    case contractLocked = "contract_locked"
    /// The event's contract denied the operation.
    case contractDenied = "contract_denied"
    /// The ticket is not listed for resale (or its listing is of an earlier holder).
    case notListed = "not_listed"
    /// The buyer's price is not the listed one.
    case priceMismatch = "price_mismatch"
    /// The event was cancelled: its tickets can only be refunded.
    case eventCancelled = "event_cancelled"
    /// No rule grants a refund.
    case notRefundable = "not_refundable"
    /// The ticket was refunded.
    case ticketRefunded = "ticket_refunded"

    // MARK: ledger: store, genesis, verification, Merkle tree
    /// The store was made from another genesis.
    case genesisMismatch = "genesis_mismatch"
    /// The genesis file is malformed.
    case invalidGenesis = "invalid_genesis"
    /// A stored record does not decode or does not match its hash.
    case storeCorrupt = "store_corrupt"
    /// `talon ledger verify` (or `audit verify`) found a mismatch.
    case verifyFailed = "verify_failed"
    /// The batch is empty or too large.
    case invalidBatch = "invalid_batch"
    /// A proof or root was asked for outside the tree.
    case proofOutOfRange = "proof_out_of_range"
    /// A complete-subtree Merkle node that must exist was not found.
    case merkleNodeMissing = "merkle_node_missing"
    /// A stored Merkle node is not a 32-byte hash.
    case merkleNodeCorrupt = "merkle_node_corrupt"

    // MARK: contracts
    /// The evaluation ran out of instructions or memory, or made a string longer than allowed.
    case contractBudget = "contract_budget"
    /// The contract's script raised an error.
    case contractError = "contract_error"
    /// The contract's hook returned something that is not a valid decision.
    case contractResult = "contract_result"
    /// The contract cannot be loaded: syntax, bytecode, no hook, or a failing top level.
    case contractInvalid = "contract_invalid"
    /// A context or parameters value given by the caller is malformed.
    case invalidContext = "invalid_context"

    // MARK: crypto
    /// A public key's text form is not `ed25519:` and 64 lowercase hex digits.
    case invalidKeyText = "invalid_key_text"
    /// A private key file is readable or writable by group or others.
    case keyFilePermissions = "key_file_permissions"
    /// A private key file could not be read or written.
    case keyFileIO = "key_file_io"
    /// A private key file is not a Talon key file.
    case keyFileMalformed = "key_file_malformed"
    /// Refused to overwrite an existing key file.
    case keyFileExists = "key_file_exists"
    /// An authenticated ciphertext does not verify.
    case decryptionFailed = "decryption_failed"
    /// A cipher state used every nonce it has.
    case nonceExhausted = "nonce_exhausted"

    // MARK: store (LMDB)
    /// The store could not be opened or created.
    case storeOpenFailed = "store_open_failed"
    /// LMDB reported an error.
    case storeError = "store_error"
    /// The store's map is full.
    case storeMapFull = "store_map_full"
    /// A write failed for lack of space: the disk or quota is full, or a file-size limit
    /// (`RLIMIT_FSIZE`) is reached. Nothing of it was stored; a node refuses writes until
    /// space returns and serves reads meanwhile.
    case storeFull = "store_full"
    /// A key or value is larger than LMDB allows.
    case storeValueTooLarge = "store_value_too_large"
    /// An appending put was given a key that does not sort after the last one.
    case storeNotAppending = "store_not_appending"
    /// A transaction was used after its closure returned.
    case storeTransactionClosed = "store_transaction_closed"

    // MARK: raft
    /// This node is not the leader.
    case notLeader = "not_leader"
    /// The leader is handing over leadership and takes no proposals meanwhile.
    case leaderTransferring = "leader_transferring"
    /// A proposal exceeds the size limit of one log entry.
    case proposalTooLarge = "proposal_too_large"
    /// The raft log or hard state cannot be read or is inconsistent.
    case raftStorage = "raft_storage"
    /// Log entries asked for were compacted.
    case raftCompacted = "raft_compacted"
    /// Bytes from a peer are not a well-formed raft message.
    case raftMalformed = "raft_malformed"
    /// A raft configuration value is out of range.
    case raftConfig = "raft_config"
    /// A batch not built from admitted envelopes was offered for proposal.
    case unadmittedBatch = "unadmitted_batch"

    // MARK: node: peers
    /// A peer frame announces more bytes than a frame may hold.
    case peerFrameTooLarge = "peer_frame_too_large"
    /// A peer frame's bytes are not a frame Talon writes.
    case peerMalformed = "peer_malformed"
    /// The peer runs another genesis.
    case peerWrongChain = "peer_wrong_chain"
    /// The peer is not a member of this cluster.
    case peerUnknownMember = "peer_unknown_member"
    /// The peer could not prove its genesis key.
    case peerBadProof = "peer_bad_proof"
    /// The peer sent messages before authenticating.
    case peerUnauthenticated = "peer_unauthenticated"
    /// An encrypted peer frame failed authentication.
    case peerFrameRejected = "peer_frame_rejected"
    /// Handshake frames arrived out of order.
    case peerProtocol = "peer_protocol"

    // MARK: node: log, submissions, configuration
    /// A committed log entry cannot be applied as a batch.
    case corruptEntry = "corrupt_entry"
    /// The node's store or log failed.
    case nodeStore = "node_store"
    /// No leader is known; retry shortly.
    case noLeader = "no_leader"
    /// The entry holding a submission was lost in a leader change; resubmit.
    case proposalDropped = "proposal_dropped"
    /// No answer in time; resubmitting is safe.
    case timeout
    /// A submission over the batch limits.
    case batchTooLarge = "batch_too_large"
    /// Too many submissions wait on this node; retry shortly.
    case overloaded
    /// The node is stopping or stopped.
    case nodeStopped = "node_stopped"
    /// An address is not `host:port`.
    case invalidAddress = "invalid_address"
    /// An option's value is out of range or unknown.
    case invalidOption = "invalid_option"

    // MARK: HTTP API
    /// A path or query parameter is malformed.
    case invalidParameter = "invalid_parameter"
    /// No such path, block or envelope.
    case notFound = "not_found"
    /// The request body exceeds the limit.
    case bodyTooLarge = "body_too_large"
    /// The request body's `Content-Type` is not one the route reads.
    case unsupportedMediaType = "unsupported_media_type"
    /// The API refused a connection over its limit.
    case tooManyConnections = "too_many_connections"
    /// The node's loop is stalled.
    case stalled
    /// An unexpected failure of the node.
    case `internal`

    // MARK: gate: verdicts
    /// Not a readable pass.
    case malformed
    /// No QR code in the image, or the image cannot be read.
    case noCode = "no_code"
    /// A signature fails, or the certificate contradicts the snapshot.
    case forged
    /// The ticket is for another event than the gate's.
    case wrongEvent = "wrong_event"
    /// The pass is more than one window away from the gate's clock.
    case expiredWindow = "expired_window"
    /// The doors are not open yet.
    case tooEarly = "too_early"

    // MARK: gate: errors, passes, QR codes
    /// The gate was synced as another gate than the key given.
    case wrongGateKey = "wrong_gate_key"
    /// A certificate cannot be put in a pass.
    case passUnencodable = "pass_unencodable"
    /// The gate's directory holds admissions of another chain.
    case gateGenesisMismatch = "gate_genesis_mismatch"
    /// The gate's directory holds no snapshot.
    case gateNotSynced = "gate_not_synced"
    /// The gate's directory holds admissions of another gate or event not yet uploaded.
    case gatePendingAdmissions = "gate_pending_admissions"
    /// The gate's store is damaged.
    case gateStoreCorrupt = "gate_store_corrupt"
    /// The node's snapshot for the gate is not consistent.
    case invalidSnapshot = "invalid_snapshot"
    /// The text does not fit a QR code.
    case qrTooLong = "qr_too_long"
    /// The QR encoder refused the text.
    case qrEncodeFailed = "qr_encode_failed"
    /// Bytes that are not a readable image.
    case imageUnreadable = "image_unreadable"
    /// An image could not be written.
    case imageWriteFailed = "image_write_failed"

    // MARK: command line
    /// A command-line argument is malformed.
    case invalidArgument = "invalid_argument"
    /// A required option is missing.
    case missingOption = "missing_option"
    /// A file is not UTF-8.
    case invalidUTF8 = "invalid_utf8"
    /// A file cannot be read or written, or is too large.
    case ioError = "io_error"
    /// Refused to overwrite an existing file.
    case fileExists = "file_exists"
    /// No node to talk to was given.
    case noNode = "no_node"
    /// No node answered.
    case unreachable
    /// A node's answer is not what was asked for.
    case invalidAnswer = "invalid_answer"
    /// The node certified another ticket than the one asked for.
    case invalidCertificate = "invalid_certificate"
    /// The key is not a registered gate of the event.
    case notAGate = "not_a_gate"
    /// A benchmark could not set up its ledger.
    case benchSetup = "bench_setup"
    /// A benchmark failed.
    case benchFailed = "bench_failed"
    /// The raft simulator found a safety violation.
    case simViolation = "sim_violation"

    /// The code's stable text, e.g. `not_holder`.
    public var name: String { rawValue }
    /// The code's stable text.
    public var description: String { rawValue }
}
