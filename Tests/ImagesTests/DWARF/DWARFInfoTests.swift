import Images
import Testing

/// The DWARF reader on objects gcc compiles here (DWARF 4 and 5, relocatable
/// and linked), whose layouts the C source itself asserts with `_Static_assert`.
@Suite struct DWARFInfoTests {
    static let source = """
        #include <stddef.h>
        enum color { RED, GREEN = 5, BLUE = -2 };
        struct inner { int a; char b[5]; };
        struct outer {
            char c;
            int i;
            short s[3];
            struct inner in;
            void *p;
            unsigned flag : 3;
            enum color col;
            union { int u; char uc[6]; } un;
            const volatile long long big;
            int matrix[2][3];
        };
        typedef struct outer outer_t;
        _Static_assert(offsetof(struct outer, i) == 4, "i");
        _Static_assert(offsetof(struct outer, s) == 8, "s");
        _Static_assert(offsetof(struct outer, in) == 16, "in");
        _Static_assert(offsetof(struct outer, in.b) == 20, "in.b");
        _Static_assert(offsetof(struct outer, p) == 28, "p");
        _Static_assert(offsetof(struct outer, col) == 36, "col");
        _Static_assert(offsetof(struct outer, un) == 40, "un");
        _Static_assert(offsetof(struct outer, big) == 48, "big");
        _Static_assert(offsetof(struct outer, matrix) == 56, "matrix");
        _Static_assert(sizeof(struct outer) == 80, "size");
        _Static_assert(sizeof(struct inner) == 12, "inner");
        int counter = 7;
        outer_t *pointer = 0;
        struct outer table[3];
        static char message[20] = "hello";
        extern int declared;
        char *use(void) { return message + declared; }
        int declared = 3;
        """

    @Test(arguments: ["-gdwarf-4", "-gdwarf-5"], [false, true])
    func layoutsOfACompiledObject(version: String, linked: Bool) throws {
        guard let elf = try CompiledObject.compile(Self.source, flags: [version], link: linked) else { return }
        let dwarf = try DWARFInfo(elf: elf)
        #expect(dwarf.units.map(\.version) == [version == "-gdwarf-4" ? 4 : 5])
        let outer = try #require(dwarf.structure(named: "outer"))
        #expect(outer.size == 80)
        let expected: [(String, Int, Int?)] = [("c", 0, 1), ("i", 4, 4), ("s", 8, 6), ("in", 16, 12), ("p", 28, 4),
                                                ("flag", 32, 4), ("col", 36, 4), ("un", 40, 8), ("big", 48, 8),
                                                ("matrix", 56, 24)]
        #expect(outer.members.map(\.name) == expected.map(\.0))
        #expect(outer.members.map(\.offset) == expected.map(\.1))
        #expect(outer.members.map(\.size) == expected.map(\.2))
        #expect(dwarf.member("in.b", of: outer)?.offset == 20)
        #expect(dwarf.member("in.b", of: outer)?.size == 5)
        #expect(dwarf.member("un.uc", of: outer)?.offset == 40)
        #expect(dwarf.member("un.uc", of: outer)?.size == 6)
        #expect(dwarf.member("in.missing", of: outer) == nil)
        #expect(dwarf.member("c.x", of: outer) == nil)
        #expect(dwarf.structure(named: "inner")?.size == 12)
        #expect(dwarf.structure(named: "missing") == nil)

        let color = try #require(dwarf.enumeration(named: "color"))
        #expect(color.enumerators.map(\.name) == ["RED", "GREEN", "BLUE"])
        #expect(color.enumerators.map(\.value) == [0, 5, -2])

        // Addresses: section offsets in the object, link addresses once linked (the symbols say which).
        let symbols = SymbolTable(elf.symbols)
        for (name, size, count) in [("counter", 4, nil), ("pointer", 4, nil), ("table", 240, 3), ("message", 20, 20),
                                    ("declared", 4, nil)] as [(String, Int, Int?)] {
            let variable = try #require(dwarf.variable(named: name), "\(name)")
            #expect(variable.address == UInt64(try #require(symbols.symbol(named: name)).value), "\(name)")
            #expect(variable.size == size, "\(name)")
            #expect(variable.elementCount == count, "\(name)")
        }
        let table = try #require(dwarf.variable(named: "table"))
        let element = try #require(table.typeOffset.flatMap { dwarf.elementType(ofArray: $0) })
        #expect(dwarf.structure(ofType: element)?.name == "outer")
        #expect(dwarf.variable(named: "use") == nil)
        #expect(dwarf.variable(named: "nothing") == nil)
    }

    @Test func anObjectWithoutDebugInformationIsAnError() throws {
        guard let elf = try CompiledObject.compile("int x;", flags: ["-g0"]) else { return }
        #expect(throws: DWARFError.missingSection(".debug_info")) { try DWARFInfo(elf: elf) }
    }
}
