/// GPT-2's reversible byte → Unicode mapping: byte-level BPE vocabularies store
/// every byte as a printable character ("Ġ" is the space byte 0x20). Printable
/// Latin-1 bytes map to themselves; the other 68 bytes map to U+0100 onwards, in order.
enum ByteLevelEncoding {
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next) ?? " "
                next += 1
            }
        }
        return table
    }()

    static let scalarToByte: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (byte, scalar) in byteToScalar.enumerated() { map[scalar.value] = UInt8(byte) }
        return map
    }()

    /// Raw bytes → the vocabulary's spelling of them ("Ġworld" for " world").
    static func tokenText(of bytes: ArraySlice<UInt8>) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: bytes.map { byteToScalar[Int($0)] })
        return text
    }

    /// Decodes a vocabulary string back to raw bytes; characters outside the
    /// mapping (never in a well-formed vocabulary) are kept as their UTF-8.
    static func bytes(ofTokenText text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let byte = scalarToByte[scalar.value] {
                bytes.append(byte)
            } else {
                bytes.append(contentsOf: String(Character(scalar)).utf8)
            }
        }
        return bytes
    }
}
