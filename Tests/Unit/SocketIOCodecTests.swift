import Testing
@testable import SocketIO

@Suite("Engine.IO and Socket.IO codecs")
struct SocketIOCodecTests {
    @Test("Engine.IO packets round-trip", arguments: ["0{\"sid\":\"x\"}", "1", "2", "2probe", "3", "3probe", "4hello", "5", "6"])
    func engine(_ text: String) throws {
        #expect(try EnginePacket(text: Substring(text)).text == text)
    }

    @Test("bad Engine.IO packets are refused", arguments: ["", "7", "x", "9abc"])
    func badEngine(_ text: String) {
        #expect(throws: SocketIOProtocolError.self) { try EnginePacket(text: Substring(text)) }
    }

    @Test("Socket.IO packets parse as the specification writes them")
    func parse() throws {
        #expect(try SocketPacket(parsing: "0") == SocketPacket(kind: .connect))
        #expect(try SocketPacket(parsing: "0/admin,{\"token\":\"123\"}")
            == SocketPacket(kind: .connect, namespace: "/admin", data: .object(["token": .string("123")])))
        #expect(try SocketPacket(parsing: "1/admin,") == SocketPacket(kind: .disconnect, namespace: "/admin"))
        #expect(try SocketPacket(parsing: "212[\"foo\"]") == SocketPacket(kind: .event, ackID: 12, data: .array([.string("foo")])))
        #expect(try SocketPacket(parsing: "3/admin,13[\"bar\"]")
            == SocketPacket(kind: .ack, namespace: "/admin", ackID: 13, data: .array([.string("bar")])))
        #expect(try SocketPacket(parsing: "51-[\"results\",{\"_placeholder\":true,\"num\":0}]").attachments == 1)
        #expect(try SocketPacket(parsing: "61-/admin,15[{\"_placeholder\":true,\"num\":0}]").ackID == 15)
        #expect(try SocketPacket(parsing: "4{\"message\":\"Not authorized\"}").kind == .connectError)
    }

    @Test("malformed Socket.IO packets are refused", arguments: [
        "", "7", "2", "2[]", "2{}", "2\"x\"", "3[\"a\"]", "21[", "5[\"a\"]", "5x-[\"a\"]", "0[1]", "1{}", "2abc",
    ])
    func malformed(_ text: String) {
        #expect(throws: SocketIOProtocolError.self) { try SocketPacket(parsing: text) }
    }

    @Test("binary arguments travel as placeholders and attachments, and come back")
    func binary() throws {
        let values: [SocketIOValue] = [.string("results"), .object(["content": .binary([1, 2, 3]), "n": .int(1)]), .binary([9])]
        let (packet, attachments) = SocketPacket.encode(kind: .event, namespace: "/", ackID: 4, values: values)
        #expect(packet.kind == .binaryEvent && packet.attachments == 2 && attachments == [[1, 2, 3], [9]])
        #expect(packet.text == #"52-4["results",{"content":{"_placeholder":true,"num":0},"n":1},{"_placeholder":true,"num":1}]"#)
        let parsed = try SocketPacket(parsing: packet.text)
        #expect(try parsed.data?.reconstructed(with: attachments) == .array(values))
        #expect(throws: SocketIOProtocolError.self) { try parsed.data?.reconstructed(with: [[1]]) }
    }

    @Test("handshake query parameters are percent-decoded")
    func query() {
        #expect(Handshake.parseQuery("/socket.io/?EIO=4&transport=websocket&token=a%2Eb+c&flag")
            == ["EIO": "4", "transport": "websocket", "token": "a.b c", "flag": ""])
    }
}
