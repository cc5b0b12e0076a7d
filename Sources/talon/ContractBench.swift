import ArgumentParser
import Foundation
import TalonContracts
import TalonProtocol

/// Times evaluations of the shipped contracts on a resale context.
struct ContractBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Microseconds per evaluation of each shipped contract on a resale context.",
        discussion: """
            Loads every shipped contract (the copies built into talon, or the files in --dir) and evaluates the hook a resale (or, for refund-window, \
            a refund) calls, --iterations times on one thread in five rounds after a warm-up, and \
            prints the median and the best round. The figure \
            includes encoding the context, running the top level again in a fresh environment, \
            the hook, and reading the decision. Build with -c release for meaningful figures.
            """)
    @Option(name: .long, help: "Read the contracts from this directory instead of the copies built into talon.") var dir: String?
    @Option(name: .long, help: "Evaluations per contract.") var iterations = 100_000
    @Option(name: .long, help: "Count VM instructions in steps of this many (1 = exact).") var step: Int64 = 1

    func run() throws {
        try reportingErrors {
            let limits = ContractLimits(instructionStep: step)
            let params: [String: [String: ContractValue]] = [
                "markup-cap-royalty": ["max_price_pct": 110, "royalty_pct": 5],
                "transfer-limit": ["max_transfers": 2, "max_per_buyer": 4],
                "refund-window": ["full_refund_hours": 48, "partial_pct": 50],
            ]
            print("talon contract bench: \(iterations) evaluations each, instruction step \(step)")
            let baseline = "function on_buy(ctx, params) return true end"
            try report("(empty hook)", source: baseline, hook: .onBuy, params: [:], limits: limits)
            for (name, builtIn) in ShippedContracts.all {
                let source = try dir.map { String(decoding: try readInput("\($0)/\(name).lua"), as: UTF8.self) } ?? builtIn
                let hook: Hook = name == "refund-window" ? .onRefund : .onBuy
                try report(name, source: source, hook: hook, params: params[name] ?? [:], limits: limits)
            }
        }
    }

    private func report(_ name: String, source: String, hook: Hook, params: [String: ContractValue],
                        limits: ContractLimits) throws {
        let ctx = ContractContext(
            now: 1_767_225_600_000, operation: .init(price: 5400, fees: 100, currency: "EUR"),
            ticket: .init(id: "T-1", section: "A", faceValue: 5000, paid: 5000, transfers: 0, resales: 0),
            event: .init(id: "E-1", issuer: "ed25519:issuer", startsAt: 1_767_225_600_000 + 3_600_000),
            parties: .init(holder: "ed25519:seller", counterparty: "ed25519:buyer", signer: "ed25519:buyer"),
            buyer: .init(eventTickets: 1, eventAcquisitions: 1))
        do {
            let contract = try LoadedContract(source: source, limits: limits)
            var last = try contract.evaluate(hook: hook, context: ctx, parameters: params)
            for _ in 0..<min(iterations, 1000) { last = try contract.evaluate(hook: hook, context: ctx, parameters: params) }
            // Five rounds; the median and the best resist a noisy machine.
            let perRound = max(iterations / 5, 1)
            var rounds: [Double] = []
            for _ in 0..<5 {
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<perRound { last = try contract.evaluate(hook: hook, context: ctx, parameters: params) }
                rounds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(perRound) / 1000)
            }
            rounds.sort()
            let name = name.padding(toLength: 20, withPad: " ", startingAt: 0)
            print("\(name) \(hook.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) "
                  + String(format: "%6.2f µs/eval median, %6.2f best", rounds[2], rounds[0])
                  + "  \(last.instructions) instructions, " + (last.allowed ? "allow" : "deny"))
        } catch {
            throw TalonError(error.code, "\(name): \(error.message)")
        }
    }
}
