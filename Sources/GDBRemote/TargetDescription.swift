/// The target description gdb reads with `qXfer:features:read:target.xml`:
/// `org.gnu.gdb.i386.core` with the 32 registers gdb requires of it (the 16
/// general and segment registers, st0–st7 and the eight x87 control
/// registers), and kstep's own `org.kstep.i386.system` feature with the
/// control registers, GDTR, IDTR, TR and LDTR (`info registers system`).
public enum TargetDescription {
    /// The document.
    public static let xml: String = """
        <?xml version="1.0"?>
        <!DOCTYPE target SYSTEM "gdb-target.dtd">
        <target version="1.0">
          <architecture>i386</architecture>
          <feature name="org.gnu.gdb.i386.core">
            <flags id="i386_eflags" size="4">
              <field name="CF" start="0" end="0"/>
              <field name="" start="1" end="1"/>
              <field name="PF" start="2" end="2"/>
              <field name="AF" start="4" end="4"/>
              <field name="ZF" start="6" end="6"/>
              <field name="SF" start="7" end="7"/>
              <field name="TF" start="8" end="8"/>
              <field name="IF" start="9" end="9"/>
              <field name="DF" start="10" end="10"/>
              <field name="OF" start="11" end="11"/>
              <field name="NT" start="14" end="14"/>
              <field name="RF" start="16" end="16"/>
              <field name="VM" start="17" end="17"/>
              <field name="AC" start="18" end="18"/>
              <field name="VIF" start="19" end="19"/>
              <field name="VIP" start="20" end="20"/>
              <field name="ID" start="21" end="21"/>
            </flags>
            <reg name="eax" bitsize="32" type="int32" regnum="0"/>
            <reg name="ecx" bitsize="32" type="int32"/>
            <reg name="edx" bitsize="32" type="int32"/>
            <reg name="ebx" bitsize="32" type="int32"/>
            <reg name="esp" bitsize="32" type="data_ptr"/>
            <reg name="ebp" bitsize="32" type="data_ptr"/>
            <reg name="esi" bitsize="32" type="int32"/>
            <reg name="edi" bitsize="32" type="int32"/>
            <reg name="eip" bitsize="32" type="code_ptr"/>
            <reg name="eflags" bitsize="32" type="i386_eflags"/>
            <reg name="cs" bitsize="32" type="int32"/>
            <reg name="ss" bitsize="32" type="int32"/>
            <reg name="ds" bitsize="32" type="int32"/>
            <reg name="es" bitsize="32" type="int32"/>
            <reg name="fs" bitsize="32" type="int32"/>
            <reg name="gs" bitsize="32" type="int32"/>
            <reg name="st0" bitsize="80" type="i387_ext"/>
            <reg name="st1" bitsize="80" type="i387_ext"/>
            <reg name="st2" bitsize="80" type="i387_ext"/>
            <reg name="st3" bitsize="80" type="i387_ext"/>
            <reg name="st4" bitsize="80" type="i387_ext"/>
            <reg name="st5" bitsize="80" type="i387_ext"/>
            <reg name="st6" bitsize="80" type="i387_ext"/>
            <reg name="st7" bitsize="80" type="i387_ext"/>
            <reg name="fctrl" bitsize="32" type="int" group="float"/>
            <reg name="fstat" bitsize="32" type="int" group="float"/>
            <reg name="ftag" bitsize="32" type="int" group="float"/>
            <reg name="fiseg" bitsize="32" type="int" group="float"/>
            <reg name="fioff" bitsize="32" type="int" group="float"/>
            <reg name="foseg" bitsize="32" type="int" group="float"/>
            <reg name="fooff" bitsize="32" type="int" group="float"/>
            <reg name="fop" bitsize="32" type="int" group="float"/>
          </feature>
          <feature name="org.kstep.i386.system">
            <flags id="kstep_cr0" size="4">
              <field name="PE" start="0" end="0"/>
              <field name="MP" start="1" end="1"/>
              <field name="EM" start="2" end="2"/>
              <field name="TS" start="3" end="3"/>
              <field name="ET" start="4" end="4"/>
              <field name="NE" start="5" end="5"/>
              <field name="WP" start="16" end="16"/>
              <field name="AM" start="18" end="18"/>
              <field name="NW" start="29" end="29"/>
              <field name="CD" start="30" end="30"/>
              <field name="PG" start="31" end="31"/>
            </flags>
            <flags id="kstep_cr4" size="4">
              <field name="VME" start="0" end="0"/>
              <field name="PVI" start="1" end="1"/>
              <field name="TSD" start="2" end="2"/>
              <field name="DE" start="3" end="3"/>
              <field name="PSE" start="4" end="4"/>
              <field name="PAE" start="5" end="5"/>
              <field name="MCE" start="6" end="6"/>
              <field name="PGE" start="7" end="7"/>
              <field name="PCE" start="8" end="8"/>
              <field name="OSFXSR" start="9" end="9"/>
              <field name="OSXMMEXCPT" start="10" end="10"/>
            </flags>
            <reg name="cr0" bitsize="32" type="kstep_cr0" group="system"/>
            <reg name="cr2" bitsize="32" type="data_ptr" group="system"/>
            <reg name="cr3" bitsize="32" type="data_ptr" group="system"/>
            <reg name="cr4" bitsize="32" type="kstep_cr4" group="system"/>
            <reg name="gdtr_base" bitsize="32" type="data_ptr" group="system"/>
            <reg name="gdtr_limit" bitsize="32" type="int32" group="system"/>
            <reg name="idtr_base" bitsize="32" type="data_ptr" group="system"/>
            <reg name="idtr_limit" bitsize="32" type="int32" group="system"/>
            <reg name="tr" bitsize="32" type="int32" group="system"/>
            <reg name="ldtr" bitsize="32" type="int32" group="system"/>
          </feature>
        </target>
        """

    /// The part of the document `qXfer:features:read:target.xml:OFFSET,LENGTH` asks for,
    /// as the reply: `m` and the part when more follows, `l` and the rest at the end.
    public static func reply(offset: Int, length: Int) -> [UInt8] {
        let document = Array(xml.utf8)
        guard offset < document.count else { return Array("l".utf8) }
        let start = max(offset, 0)
        let end = min(document.count, start + max(length, 0))
        return Array((end < document.count ? "m" : "l").utf8) + document[start..<end]
    }
}
