
/// A binding's parameters: the JSON text carried by `bind_contract`, parsed the same way on
/// every node (integers, strings, booleans, arrays and objects; no floats, no null).
public enum ContractParameters {
    /// The parameters in `text`, which must be one JSON object.
    /// - Throws: `TalonError(.invalidField)` saying what is wrong.
    public static func parse(_ text: String) throws(TalonError) -> [String: ContractValue] {
        guard text.utf8.count <= Limits.contractParamsBytes else {
            throw TalonError(.invalidField, "params are longer than \(Limits.contractParamsBytes) bytes")
        }
        do {
            return try JSONForm.decode([String: ContractValue].self, from: Array(text.utf8))
        } catch {
            throw TalonError(.invalidField, "params must be a JSON object of integers, strings, booleans, arrays and objects: \(error.message)")
        }
    }
}
