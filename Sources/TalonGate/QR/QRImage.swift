// Pure Swift renderings of a QRCode: SVG, terminal text, grayscale pixels.

extension QRCode {
    /// A standalone SVG document: a white background and one black path covering the dark
    /// modules, one `M x y h n v 1 h -n z` sub-path per horizontal run of dark modules.
    /// Coordinates are in modules (the `viewBox`); `width`/`height` are in pixels,
    /// `moduleSize` per module. `shape-rendering="crispEdges"` keeps module edges sharp.
    ///
    /// - Parameters:
    ///   - moduleSize: pixels per module for the document's width and height; at least 1.
    ///   - quietZone: light modules around the symbol; the standard asks for 4.
    public func svg(moduleSize: Int = 8, quietZone: Int = 4) -> String {
        let scale = max(1, moduleSize)
        let quiet = max(0, quietZone)
        let side = size + 2 * quiet
        let pixels = side * scale
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard self[x, y] else { x += 1; continue }
                let start = x
                while x < size && self[x, y] { x += 1 }
                let run = x - start
                path += "M\(start + quiet) \(y + quiet)h\(run)v1h-\(run)z"
            }
        }
        var svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
        svg += "width=\"\(pixels)\" height=\"\(pixels)\" viewBox=\"0 0 \(side) \(side)\" "
        svg += "shape-rendering=\"crispEdges\">\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(side)\" height=\"\(side)\" fill=\"#ffffff\"/>\n"
        svg += "<path fill=\"#000000\" d=\"\(path)\"/>\n"
        svg += "</svg>\n"
        return svg
    }

    /// The symbol as text, two module rows per line, using "█", "▀", "▄" and space.
    ///
    /// Inverted, for dark-background terminals: a **light** module (including the quiet
    /// zone) is drawn with ink (the block characters) and a **dark** module is left blank,
    /// so the terminal's dark background shows through as the QR's dark modules. On a
    /// light-background terminal the result is a negative image, which many phone
    /// scanners still read but some (zbar without inverted testing) do not.
    ///
    /// Each line ends with "\n"; there are `(size + 2 × quietZone + 1) / 2` lines. When the
    /// module rows are odd in number, the last line's lower half is blank (dark).
    public func terminal(quietZone: Int = 2) -> String {
        let quiet = max(0, quietZone)
        let side = size + 2 * quiet
        // Light (inked) at a position of the quiet-zone-padded square; outside it, blank.
        func light(_ x: Int, _ y: Int) -> Bool {
            guard y < side else { return false }
            return !self[x - quiet, y - quiet]
        }
        var out = ""
        out.reserveCapacity((side + 1) / 2 * (side * 3 + 1))
        var y = 0
        while y < side {
            for x in 0..<side {
                switch (light(x, y), light(x, y + 1)) {
                case (true, true): out += "█"
                case (true, false): out += "▀"
                case (false, true): out += "▄"
                case (false, false): out += " "
                }
            }
            out += "\n"
            y += 2
        }
        return out
    }

    /// The symbol as 8-bit grayscale pixels, row by row: 0 is black (dark module), 255 is
    /// white (light module and quiet zone). The image is square:
    /// `(size + 2 × quietZone) × moduleSize` pixels a side.
    ///
    /// - Parameters:
    ///   - moduleSize: pixels per module; at least 1.
    ///   - quietZone: light modules around the symbol; the standard asks for 4.
    public func grayscale(moduleSize: Int, quietZone: Int = 4) -> (width: Int, height: Int, pixels: [UInt8]) {
        let scale = max(1, moduleSize)
        let quiet = max(0, quietZone)
        let side = (size + 2 * quiet) * scale
        var pixels = [UInt8](repeating: 255, count: side * side)
        pixels.withUnsafeMutableBufferPointer { buf in
            for my in 0..<size {
                for mx in 0..<size where self[mx, my] {
                    let px0 = (mx + quiet) * scale
                    let py0 = (my + quiet) * scale
                    for py in py0..<(py0 + scale) {
                        let row = py * side
                        for px in px0..<(px0 + scale) { buf[row + px] = 0 }
                    }
                }
            }
        }
        return (side, side, pixels)
    }
}
