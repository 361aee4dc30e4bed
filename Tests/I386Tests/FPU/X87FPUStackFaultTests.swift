import I386
import Testing

/// Stack overflow and underflow, instruction family by instruction family,
/// masked and unmasked (SDM Vol. 1 §8.5.1.1 and the instruction pages,
/// checked against the host x87): IE and SF set, C1 = 1 for an overflow
/// and 0 for an underflow, the masked response writes the QNaN indefinite
/// (or the integer or BCD indefinite to memory), an unmasked fault changes
/// nothing else and leaves an exception pending.
@Suite struct X87FPUStackFaultTests {
    typealias T = X87TestState
    static let full: [ExtendedReal?] = Array(repeating: T.one, count: 8)

    func expectStackFault(_ state: X87State, overflow: Bool, pending: Bool,
                          sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(state.statusWord.exceptions.contains(.invalidOperation), sourceLocation: sourceLocation)
        #expect(state.statusWord.stackFault, sourceLocation: sourceLocation)
        #expect(state.statusWord.c1 == overflow, sourceLocation: sourceLocation)
        #expect(state.isExceptionPending == pending, sourceLocation: sourceLocation)
        #expect(state.statusWord.busy == pending, sourceLocation: sourceLocation)
    }

    // MARK: Pushes onto a full stack

    @Test(arguments: [true, false])
    func pushOntoAFullStack(masked: Bool) {
        let control = masked ? T.control() : T.control(unmasking: .invalidOperation)
        let loads: [(inout X87State) -> Void] = [
            { $0.load(.float80(T.two)) }, { $0.load(.int32(7)) }, { $0.load(.float32(0x4000_0000)) },
            { $0.load(.pi) }, { $0.load(st: 3) },
        ]
        for load in loads {
            var state = T.make(Self.full, top: 2, control: control)
            load(&state)
            expectStackFault(state, overflow: true, pending: !masked)
            if masked {
                #expect(state.top == 1)
                #expect(state.st(0) == .indefinite)
            } else {
                #expect(state.top == 2)
                #expect(state.physicalRegisters[1] == T.one)
            }
        }
    }

    @Test func fldOfAnEmptyRegisterPushesTheIndefinite() {
        var state = T.make([T.one, nil, T.two])
        state.load(st: 1)
        expectStackFault(state, overflow: false, pending: false)
        #expect(state.top == 4)
        #expect(state.st(0) == .indefinite)
        // Both at once: the underflow wins (C1 = 0), as on the host.
        var both = T.make([T.one, nil, T.one, T.one, T.one, T.one, T.one, T.one])
        both.load(st: 1)
        #expect(both.statusWord.c1 == false)
    }

    // MARK: Arithmetic and the operand-less operations

    @Test(arguments: [true, false])
    func arithmeticOnAnEmptyRegister(masked: Bool) {
        let control = masked ? T.control() : T.control(unmasking: .invalidOperation)
        var intoST0 = T.make([T.one, nil], control: control)
        intoST0.apply(.add, toST0WithST: 1)
        expectStackFault(intoST0, overflow: false, pending: !masked)
        #expect(intoST0.st(0) == (masked ? .indefinite : T.one))

        var popping = T.make([nil, T.two, T.three], control: control)
        popping.apply(.divide, toST: 2, popping: true)
        expectStackFault(popping, overflow: false, pending: !masked)
        #expect(popping.top == (masked ? 6 : 5))
        #expect(popping.physicalRegisters[7] == (masked ? .indefinite : T.three))

        var memory = T.make([], control: control)
        memory.apply(.multiply, toST0With: .int16(3))
        expectStackFault(memory, overflow: false, pending: !masked)
        #expect(memory.isEmpty(st: 0) == !masked)
    }

    @Test(arguments: [true, false])
    func operationsOnEmptyRegisters(masked: Bool) {
        let control = masked ? T.control() : T.control(unmasking: .invalidOperation)
        var sine = T.make([], control: control, status: 0x0400)
        sine.perform(.sine)
        expectStackFault(sine, overflow: false, pending: !masked)
        #expect(sine.statusWord.c2 == false)  // C2 cleared, as on the host
        #expect(sine.isEmpty(st: 0) == !masked)

        var scale = T.make([T.one, nil], control: control)
        scale.perform(.scale)
        expectStackFault(scale, overflow: false, pending: !masked)
        #expect(scale.st(0) == (masked ? .indefinite : T.one))

        var arctangent = T.make([T.one, nil, T.two], control: control)
        arctangent.perform(.partialArctangent)
        expectStackFault(arctangent, overflow: false, pending: !masked)
        if masked {
            #expect(arctangent.top == 6)
            #expect(arctangent.st(0) == .indefinite)
        } else {
            #expect(arctangent.top == 5)
            #expect(arctangent.isEmpty(st: 1))
        }
    }

    @Test(arguments: [X87Operation.sineAndCosine, .partialTangent, .extractExponentAndSignificand])
    func pushingOperationsFaultTwoWays(operation: X87Operation) {
        var underflow = T.make([nil, T.two])
        underflow.perform(operation)
        expectStackFault(underflow, overflow: false, pending: false)
        #expect(underflow.top == 4)
        #expect(underflow.st(0) == .indefinite && underflow.st(1) == .indefinite)

        var overflow = T.make(Self.full)
        overflow.perform(operation)
        expectStackFault(overflow, overflow: true, pending: false)
        #expect(overflow.st(0) == .indefinite && overflow.st(1) == .indefinite)

        var unmasked = T.make(Self.full, control: T.control(unmasking: .invalidOperation))
        unmasked.perform(operation)
        expectStackFault(unmasked, overflow: true, pending: true)
        #expect(unmasked.top == 5 && unmasked.st(0) == T.one)
    }

    // MARK: Stores

    @Test(arguments: [true, false])
    func storesOfAnEmptyST0(masked: Bool) {
        let control = masked ? T.control() : T.control(unmasking: .invalidOperation)
        let expected: [(X87MemoryFormat, X87MemoryOperand)] = [
            (.float32, .float32(0xFFC0_0000)), (.float64, .float64(0xFFF8_0000_0000_0000)),
            (.float80, .float80(.indefinite)), (.int16, .int16(-0x8000)), (.int32, .int32(Int32.min)),
            (.int64, .int64(Int64.min)), (.packedBCD, .packedBCD(.indefinite)),
        ]
        for (format, indefinite) in expected {
            var state = T.make([nil, T.one], control: control)
            let stored = state.store(as: format, popping: true)
            expectStackFault(state, overflow: false, pending: !masked)
            #expect(stored == (masked ? indefinite : nil), "\(format)")
            #expect(state.top == (masked ? 6 : 5), "\(format)")
        }
        #expect(PackedBCD.indefinite.bytes == [0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF])

        var toRegister = T.make([nil, T.one, T.two], control: control)
        toRegister.store(toST: 2, popping: true)
        expectStackFault(toRegister, overflow: false, pending: !masked)
        #expect(toRegister.physicalRegisters[7] == (masked ? .indefinite : T.two))
    }

    // MARK: Comparisons

    @Test(arguments: [true, false])
    func comparisonsWithAnEmptyRegisterAreUnordered(masked: Bool) {
        let control = masked ? T.control() : T.control(unmasking: .invalidOperation)
        var compare = T.make([T.one, nil, T.two], control: control)
        compare.compare(st0WithST: 1, pops: 2)
        expectStackFault(compare, overflow: false, pending: !masked)
        // Unordered whether masked or not (the host sets C3 C2 C0 either way).
        #expect(compare.statusWord.c3 && compare.statusWord.c2 && compare.statusWord.c0)
        #expect(compare.top == (masked ? 7 : 5))

        var flags = T.make([nil, T.two], control: control)
        let eflags = flags.compareSettingFlags(st0WithST: 1, popping: true, eflags: 0x0000_0A92)
        expectStackFault(flags, overflow: false, pending: !masked)
        #expect(eflags == 0x0000_0247)  // ZF PF CF set, OF SF AF clear, IF and bit 1 kept
        #expect(flags.top == (masked ? 6 : 5))

        var test = T.make([], control: control)
        test.test()
        expectStackFault(test, overflow: false, pending: !masked)
        #expect(test.statusWord.c3 && test.statusWord.c2 && test.statusWord.c0)
    }

    @Test func fxamOfAnEmptyRegisterIsNoFault() {
        var state = T.make([], status: 0x0400)
        state.examine()
        #expect(state.statusWord.exceptions.isEmpty && !state.statusWord.stackFault)
        #expect(state.statusWord.c3 && !state.statusWord.c2 && state.statusWord.c0)
        #expect(!state.statusWord.c1)  // the sign of the (zero) contents
    }

    // MARK: Register moves

    @Test func fxchReplacesEmptyRegistersWithTheIndefinite() {
        var masked = T.make([T.one, nil])
        masked.exchange(withST: 1)
        expectStackFault(masked, overflow: false, pending: false)
        #expect(masked.st(0) == .indefinite && masked.st(1) == T.one)

        var unmasked = T.make([T.one, nil], control: T.control(unmasking: .invalidOperation))
        unmasked.exchange(withST: 1)
        expectStackFault(unmasked, overflow: false, pending: true)
        #expect(unmasked.st(0) == T.one && unmasked.isEmpty(st: 1))
    }

    @Test func fcmovFaultsOnAnEmptyRegisterEvenWhenNotMoving() {
        var state = T.make([T.one, nil])
        state.conditionalMove(fromST: 1, if: false)
        expectStackFault(state, overflow: false, pending: false)
        #expect(state.st(0) == .indefinite)
    }

    @Test func ffreeFincstpAndFdecstpNeverFault() {
        var state = T.make([nil, nil])
        state.free(st: 0, popping: true)
        state.incrementStackTop()
        state.decrementStackTop()
        state.decrementStackTop()
        #expect(state.statusWord.exceptions.isEmpty && !state.statusWord.stackFault)
        #expect(state.top == 5)
    }
}
