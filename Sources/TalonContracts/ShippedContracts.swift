/// The contracts shipped in `genesis/contracts/`, compiled into the binary so that a command
/// that needs one (`talon bench audit`, `talon contract bench`) works from any directory.
/// SwiftPM embeds the files themselves (`Shipped/` links to them), so there is one copy.
public enum ShippedContracts {
    /// Names (the file names without `.lua`) and sources, in a fixed order.
    public static let all: [(name: String, source: String)] = [
        ("face-value-cap", faceValueCap),
        ("markup-cap-royalty", markupCapRoyalty),
        ("no-resale", noResale),
        ("transfer-limit", transferLimit),
        ("refund-window", refundWindow),
    ]

    /// The source of the shipped contract `name` (e.g. `markup-cap-royalty`), or nil.
    public static func source(_ name: String) -> String? { all.first { $0.name == name }?.source }

    /// genesis/contracts/face-value-cap.lua
    public static let faceValueCap = String(decoding: PackageResources.face_value_cap_lua, as: UTF8.self)
    /// genesis/contracts/markup-cap-royalty.lua
    public static let markupCapRoyalty = String(decoding: PackageResources.markup_cap_royalty_lua, as: UTF8.self)
    /// genesis/contracts/no-resale.lua
    public static let noResale = String(decoding: PackageResources.no_resale_lua, as: UTF8.self)
    /// genesis/contracts/transfer-limit.lua
    public static let transferLimit = String(decoding: PackageResources.transfer_limit_lua, as: UTF8.self)
    /// genesis/contracts/refund-window.lua
    public static let refundWindow = String(decoding: PackageResources.refund_window_lua, as: UTF8.self)
}
