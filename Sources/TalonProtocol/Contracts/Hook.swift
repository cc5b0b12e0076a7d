/// A point where a contract can decide. A contract defines each hook as a global function;
/// a hook the contract does not define allows the operation.
///
/// Operation hooks are called as `on_buy(ctx, params)`. `on_rebind` is called as
/// `on_rebind(old_params, new_params, ctx)` when an issuer changes the parameters of a
/// binding after publication; denying keeps the old parameters. It is where a contract says
/// which changes loosen its rules (allowed) and which tighten them (refused).
public enum Hook: String, CaseIterable, Hashable, Sendable {
    /// A holder gives the ticket to someone (no sale through the ledger).
    case onTransfer = "on_transfer"
    /// A holder lists the ticket for resale at a price.
    case onList = "on_list"
    /// A buyer buys a listed ticket.
    case onBuy = "on_buy"
    /// A holder asks for a refund.
    case onRefund = "on_refund"
    /// The issuer cancels the event; called per ticket to decide its refund.
    case onCancel = "on_cancel"
    /// The issuer changes the binding's parameters after publication.
    case onRebind = "on_rebind"

    /// The operation kind the context carries as `ctx.operation.kind`.
    public var operationKind: String {
        switch self {
        case .onTransfer: "transfer"
        case .onList: "list"
        case .onBuy: "buy"
        case .onRefund: "refund"
        case .onCancel: "cancel"
        case .onRebind: "rebind"
        }
    }

    /// The hook's number on the C side (bit `1 << number` of the defined hooks).
    package var number: Int32 {
        switch self {
        case .onTransfer: 0
        case .onList: 1
        case .onBuy: 2
        case .onRefund: 3
        case .onCancel: 4
        case .onRebind: 5
        }
    }
}
