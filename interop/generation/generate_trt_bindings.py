#!/usr/bin/env python3
"""Generates the C# bindings of the TensorRT shim from its C header (interop/native/include/srd_trt.h).

Reads the header with libclang (Debian's python3-clang-14 + libclang1-14) and writes, for the C# side:
  * enums      -> public C# enums named Trt<PascalCase> (srd_status -> TrtStatus, SRD_STATUS_OK -> Ok)
  * structs    -> internal structs with the C names and explicit layout (offsets and sizes from clang)
  * opaque     -> internal empty structs with the C names, used only behind pointers (srd_builder*)
  * functions  -> [LibraryImport] declarations with blittable signatures in `internal static partial class`
  * #defines   -> integer constants (SRD_TRT_ABI_VERSION, ...)
and, for the layout tests, a C source exporting sizeof/offsetof of every struct and enum as the C compiler sees them.

Run from anywhere (relative paths are resolved against the repository root):
    /usr/bin/python3 interop/generation/generate_trt_bindings.py @interop/generation/trt-bindings.rsp
libclang is looked up in $SRD_LIBCLANG, then in the usual Debian locations (see LIBCLANG_CANDIDATES).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

try:
    import clang.cindex as ci
except ImportError:  # pragma: no cover - reported to the user
    sys.stderr.write(
        "generate_trt_bindings: the Python module clang.cindex is missing; install Debian's python3-clang-14 and "
        "run with /usr/bin/python3\n")
    sys.exit(3)

REPO_ROOT = Path(__file__).resolve().parents[2]

# Standard Debian/Ubuntu locations of libclang 14 (amd64 and arm64); $SRD_LIBCLANG overrides.
LIBCLANG_CANDIDATES = [
    "/usr/lib/llvm-14/lib/libclang.so.1",
    "/usr/lib/llvm-14/lib/libclang-14.so.1",
    "/usr/lib/x86_64-linux-gnu/libclang-14.so.1",
    "/usr/lib/aarch64-linux-gnu/libclang-14.so.1",
    "/usr/lib/x86_64-linux-gnu/libclang-14.so",
    "/usr/lib/aarch64-linux-gnu/libclang-14.so",
]

CSHARP_KEYWORDS = {
    "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
    "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern",
    "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface",
    "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override", "params",
    "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc",
    "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked",
    "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
}


class GenerationError(Exception):
    pass


def configure_libclang() -> str:
    explicit = os.environ.get("SRD_LIBCLANG")
    candidates = [explicit] if explicit else LIBCLANG_CANDIDATES
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            ci.Config.set_library_file(candidate)
            return candidate
    raise GenerationError(
        "libclang not found (tried " + ", ".join(c for c in candidates if c) + "); install Debian's libclang1-14 "
        "or set SRD_LIBCLANG to the library file")


def pascal(words: str) -> str:
    return "".join(part[:1].upper() + part[1:].lower() for part in words.split("_") if part)


def enum_csharp_name(c_name: str) -> str:
    return "Trt" + pascal(c_name[len("srd_"):] if c_name.startswith("srd_") else c_name)


def identifier(name: str) -> str:
    return "@" + name if name in CSHARP_KEYWORDS else name


def comment_text(cursor: ci.Cursor) -> list[str]:
    """The comment in front of a declaration, as plain lines (C comment markers removed)."""
    raw = cursor.raw_comment
    if not raw:
        return []
    lines = []
    for line in raw.splitlines():
        line = line.strip()
        for marker in ("/**", "/*", "*/", "///", "//"):
            if line.startswith(marker):
                line = line[len(marker):]
            if line.endswith(marker):
                line = line[: -len(marker)]
        line = line.strip()
        if line.startswith("* ") or line == "*":
            line = line[1:].strip()
        if line and not set(line) <= {"-", "*", "/", " "}:
            lines.append(line)
    return lines


@dataclass
class EnumDecl:
    c_name: str
    cs_name: str
    members: list[tuple[str, str, int]]  # (c name, C# name, value)
    comment: list[str]


@dataclass
class FieldDecl:
    c_name: str
    cs_type: str
    offset: int
    fixed_length: int | None = None  # element count of a fixed-size array


@dataclass
class StructDecl:
    c_name: str
    size: int
    fields: list[FieldDecl]
    comment: list[str]


@dataclass
class FunctionDecl:
    c_name: str
    return_type: str
    parameters: list[tuple[str, str]]  # (C# type, name)
    comment: list[str]


@dataclass
class Header:
    constants: list[tuple[str, int]] = field(default_factory=list)
    enums: list[EnumDecl] = field(default_factory=list)
    structs: list[StructDecl] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)
    functions: list[FunctionDecl] = field(default_factory=list)


class TypeMapper:
    def __init__(self, enums: dict[str, str], structs: set[str]):
        self.enums = enums
        self.structs = structs

    def map(self, t: ci.Type) -> str:
        decl = t.get_declaration()
        if decl.kind == ci.CursorKind.ENUM_DECL and decl.spelling in self.enums:
            return self.enums[decl.spelling]
        if decl.kind == ci.CursorKind.STRUCT_DECL and decl.spelling in self.structs:
            return decl.spelling
        canonical = t.get_canonical()
        kind = canonical.kind
        if kind == ci.TypeKind.POINTER:
            pointee = canonical.get_pointee()
            if pointee.kind == ci.TypeKind.FUNCTIONPROTO:
                return self.function_pointer(pointee)
            # Map the declared pointee (keeps typedef names such as srd_dims) when there is one.
            declared = t.get_pointee() if t.kind == ci.TypeKind.POINTER else pointee
            return self.map(declared) + "*"
        if kind == ci.TypeKind.ENUM:
            return self.map_enum(canonical)
        if kind == ci.TypeKind.RECORD:
            name = canonical.get_declaration().spelling
            if name in self.structs:
                return name
            raise GenerationError(f"struct {name} is not declared in the header")
        if kind == ci.TypeKind.VOID:
            return "void"
        if kind in (ci.TypeKind.FLOAT,):
            return "float"
        if kind in (ci.TypeKind.DOUBLE,):
            return "double"
        if kind in (ci.TypeKind.CHAR_S, ci.TypeKind.CHAR_U):
            return "byte"  # C strings are byte* (UTF-8) on the C# side
        signed = {ci.TypeKind.SCHAR, ci.TypeKind.SHORT, ci.TypeKind.INT, ci.TypeKind.LONG, ci.TypeKind.LONGLONG}
        unsigned = {ci.TypeKind.UCHAR, ci.TypeKind.USHORT, ci.TypeKind.UINT, ci.TypeKind.ULONG, ci.TypeKind.ULONGLONG}
        size = canonical.get_size()
        if kind in signed:
            return {1: "sbyte", 2: "short", 4: "int", 8: "long"}[size]
        if kind in unsigned:
            return {1: "byte", 2: "ushort", 4: "uint", 8: "ulong"}[size]
        raise GenerationError(f"no C# mapping for C type '{t.spelling}' ({kind})")

    def map_enum(self, t: ci.Type) -> str:
        name = t.get_declaration().spelling
        if name not in self.enums:
            raise GenerationError(f"enum {name} is not declared in the header")
        return self.enums[name]

    def function_pointer(self, proto: ci.Type) -> str:
        parts = [self.map(argument) for argument in proto.argument_types()]
        parts.append(self.map(proto.get_result()))
        return "delegate* unmanaged[Cdecl]<" + ", ".join(parts) + ">"


def parse_header(header: Path) -> Header:
    index = ci.Index.create()
    tu = index.parse(
        str(header),
        args=["-x", "c", "-std=c99", "-fparse-all-comments", f"-I{header.parent}"],
        options=ci.TranslationUnit.PARSE_DETAILED_PROCESSING_RECORD | ci.TranslationUnit.PARSE_SKIP_FUNCTION_BODIES,
    )
    errors = [d for d in tu.diagnostics if d.severity >= ci.Diagnostic.Error]
    if errors:
        raise GenerationError("clang could not parse the header:\n" + "\n".join(str(d) for d in errors))

    def in_header(cursor: ci.Cursor) -> bool:
        return cursor.location.file is not None and Path(cursor.location.file.name).resolve() == header.resolve()

    cursors = [c for c in tu.cursor.get_children() if in_header(c)]
    result = Header()

    # Enums and struct names first: the type mapper needs them for everything else.
    enum_names: dict[str, str] = {}
    struct_names: set[str] = set()
    for cursor in cursors:
        if cursor.kind == ci.CursorKind.ENUM_DECL and cursor.is_definition():
            enum_names[cursor.spelling] = enum_csharp_name(cursor.spelling)
        elif cursor.kind == ci.CursorKind.STRUCT_DECL:
            struct_names.add(cursor.spelling)
    mapper = TypeMapper(enum_names, struct_names)

    for cursor in cursors:
        if cursor.kind == ci.CursorKind.MACRO_DEFINITION:
            tokens = [t.spelling for t in cursor.get_tokens()]
            if len(tokens) == 2 and tokens[0].startswith("SRD_TRT_") and tokens[1].isdigit():
                result.constants.append((tokens[0], int(tokens[1])))
        elif cursor.kind == ci.CursorKind.ENUM_DECL and cursor.is_definition():
            prefix = cursor.spelling.upper() + "_"
            if cursor.enum_type.get_canonical().get_size() != 4:
                raise GenerationError(f"enum {cursor.spelling} is not 4 bytes")
            members = []
            for member in cursor.get_children():
                if not member.spelling.startswith(prefix):
                    raise GenerationError(f"enum member {member.spelling} does not start with {prefix}")
                members.append((member.spelling, pascal(member.spelling[len(prefix):]), member.enum_value))
            result.enums.append(EnumDecl(cursor.spelling, enum_names[cursor.spelling], members, comment_text(cursor)))
        elif cursor.kind == ci.CursorKind.STRUCT_DECL:
            if cursor.is_definition():
                fields = []
                for child in cursor.get_children():
                    if child.kind != ci.CursorKind.FIELD_DECL:
                        continue
                    offset_bits = child.get_field_offsetof()
                    if offset_bits < 0 or offset_bits % 8 != 0:
                        raise GenerationError(f"field {cursor.spelling}.{child.spelling} has no byte offset")
                    if child.type.get_canonical().kind == ci.TypeKind.CONSTANTARRAY:
                        array = child.type.get_canonical()
                        fields.append(FieldDecl(child.spelling, mapper.map(array.get_array_element_type()),
                                                offset_bits // 8, array.get_array_size()))
                    else:
                        fields.append(FieldDecl(child.spelling, mapper.map(child.type), offset_bits // 8))
                result.structs.append(StructDecl(cursor.spelling, cursor.type.get_size(), fields, comment_text(cursor)))
            elif cursor.spelling not in result.opaque and cursor.type.get_declaration().is_definition() is False:
                result.opaque.append(cursor.spelling)
        elif cursor.kind == ci.CursorKind.FUNCTION_DECL:
            parameters = [(mapper.map(a.type), identifier(a.spelling)) for a in cursor.get_arguments()]
            result.functions.append(
                FunctionDecl(cursor.spelling, mapper.map(cursor.result_type), parameters, comment_text(cursor)))
    # A struct declared opaque and defined later is not opaque.
    defined = {s.c_name for s in result.structs}
    result.opaque = [name for name in result.opaque if name not in defined]
    return result


def banner(header_rel: str, comment: str = "//") -> str:
    return (
        f"{comment} <auto-generated>\n"
        f"{comment} Generated by interop/generation/generate_trt_bindings.py from {header_rel}.\n"
        f"{comment} Do not edit: change the header, then run\n"
        f"{comment}   /usr/bin/python3 interop/generation/generate_trt_bindings.py @interop/generation/trt-bindings.rsp\n"
        f"{comment} </auto-generated>\n"
    )


def emit_comment(lines: list[str], indent: str) -> str:
    return "".join(f"{indent}// {line}\n" for line in lines)


def write_enums(h: Header, namespace: str, header_rel: str) -> str:
    out = [banner(header_rel), "\n", f"namespace {namespace};\n"]
    for enum in h.enums:
        out.append("\n")
        out.append(emit_comment(enum.comment, ""))
        out.append(f"/// <summary>C enum <c>{enum.c_name}</c> of srd_trt.h.</summary>\n")
        out.append(f"public enum {enum.cs_name}\n{{\n")
        for c_name, cs_name, value in enum.members:
            out.append(f"    /// <summary><c>{c_name}</c></summary>\n")
            out.append(f"    {cs_name} = {value},\n")
        out.append("}\n")
    return "".join(out)


def write_structs(h: Header, namespace: str, header_rel: str) -> str:
    out = [banner(header_rel), "\n", "using System.Runtime.InteropServices;\n", "\n", f"namespace {namespace};\n"]
    for struct in h.structs:
        out.append("\n")
        out.append(emit_comment(struct.comment, ""))
        out.append(f"[StructLayout(LayoutKind.Explicit, Size = {struct.size})]\n")
        out.append(f"internal unsafe partial struct {struct.c_name}\n{{\n")
        for f in struct.fields:
            if f.fixed_length is not None:
                out.append(f"    [FieldOffset({f.offset})]\n    public fixed {f.cs_type} {identifier(f.c_name)}[{f.fixed_length}];\n")
            else:
                out.append(f"    [FieldOffset({f.offset})]\n    public {f.cs_type} {identifier(f.c_name)};\n")
        out.append("}\n")
    for name in h.opaque:
        out.append("\n")
        out.append(f"/// <summary>Opaque handle type <c>{name}</c>: only ever used behind a pointer.</summary>\n")
        out.append(f"internal partial struct {name}\n{{\n}}\n")
    return "".join(out)


def write_functions(h: Header, namespace: str, class_name: str, library: str, header_rel: str) -> str:
    out = [banner(header_rel), "\n", "using System.Runtime.InteropServices;\n", "\n", f"namespace {namespace};\n", "\n"]
    out.append(f"internal static unsafe partial class {class_name}\n{{\n")
    out.append(f"    /// <summary>Logical name of the native library; resolved by the loader (TrtShimLibrary).</summary>\n")
    out.append(f"    internal const string LibraryName = \"{library}\";\n")
    for name, value in h.constants:
        out.append(f"\n    /// <summary><c>#define {name} {value}</c></summary>\n    internal const int {name} = {value};\n")
    for function in h.functions:
        out.append("\n")
        out.append(emit_comment(function.comment, "    "))
        parameters = ", ".join(f"{t} {n}" for t, n in function.parameters)
        out.append(f"    [LibraryImport(LibraryName)]\n")
        out.append(f"    internal static partial {function.return_type} {function.c_name}({parameters});\n")
    out.append("}\n")
    return "".join(out)


def write_layout_probe(h: Header, header_rel: str) -> str:
    entries = []
    for struct in h.structs:
        entries.append(f'    {{"{struct.c_name}", (int64_t) sizeof({struct.c_name})}},\n')
        for f in struct.fields:
            entries.append(f'    {{"{struct.c_name}.{f.c_name}", (int64_t) offsetof({struct.c_name}, {f.c_name})}},\n')
    for enum in h.enums:
        entries.append(f'    {{"{enum.c_name}", (int64_t) sizeof({enum.c_name})}},\n')
    return (
        banner(header_rel, " *").replace(" * <auto-generated>", "/*\n * <auto-generated>", 1)
        + " */\n"
        + "/* sizeof/offsetof of every struct and enum of srd_trt.h as the C compiler lays them out; the C# layout tests\n"
        + " * compare them with the generated structs. */\n"
        + "#include \"srd_trt.h\"\n\n#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n\n"
        + "#define SRD_LAYOUT_PROBE_API __attribute__((visibility(\"default\")))\n\n"
        + "typedef struct srd_layout_entry\n{\n    char const* name;\n    int64_t value;\n} srd_layout_entry;\n\n"
        + "static srd_layout_entry const kEntries[] = {\n" + "".join(entries) + "};\n\n"
        + "/* Number of entries: each struct size, each field offset (\"struct.field\"), each enum size. */\n"
        + "SRD_LAYOUT_PROBE_API int32_t srd_layout_probe_count(void);\n"
        + "SRD_LAYOUT_PROBE_API int32_t srd_layout_probe_count(void)\n{\n"
        + "    return (int32_t) (sizeof(kEntries) / sizeof(kEntries[0]));\n}\n\n"
        + "/* The size or offset for a name, -1 when unknown. */\n"
        + "SRD_LAYOUT_PROBE_API int64_t srd_layout_probe_get(char const* name);\n"
        + "SRD_LAYOUT_PROBE_API int64_t srd_layout_probe_get(char const* name)\n{\n"
        + "    size_t i;\n"
        + "    for (i = 0; i < sizeof(kEntries) / sizeof(kEntries[0]); ++i)\n    {\n"
        + "        if (strcmp(kEntries[i].name, name) == 0)\n        {\n            return kEntries[i].value;\n        }\n    }\n"
        + "    return -1;\n}\n"
    )


def write_if_changed(path: Path, text: str) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(fromfile_prefix_chars="@", description=__doc__.splitlines()[0])
    parser.add_argument("--header", required=True, help="srd_trt.h (relative to the repository root)")
    parser.add_argument("--output", required=True, help="folder of the generated C# files")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--class-name", required=True, help="static class holding the [LibraryImport]s")
    parser.add_argument("--library", required=True, help="logical library name of the [LibraryImport]s")
    parser.add_argument("--probe-output", required=True, help="C file of the layout probe library")
    args = parser.parse_args(argv)

    def resolve(p: str) -> Path:
        path = Path(p)
        return path if path.is_absolute() else REPO_ROOT / path

    header = resolve(args.header)
    header_rel = header.resolve().relative_to(REPO_ROOT).as_posix() if header.resolve().is_relative_to(REPO_ROOT) else header.name
    try:
        configure_libclang()
        h = parse_header(header)
    except GenerationError as error:
        sys.stderr.write(f"generate_trt_bindings: {error}\n")
        return 1
    output = resolve(args.output)
    files = {
        output / "SrdTrt.Enums.g.cs": write_enums(h, args.namespace, header_rel),
        output / "SrdTrt.Structs.g.cs": write_structs(h, args.namespace, header_rel),
        output / "SrdTrt.Functions.g.cs": write_functions(h, args.namespace, args.class_name, args.library, header_rel),
        resolve(args.probe_output): write_layout_probe(h, header_rel),
    }
    for path, text in files.items():
        changed = write_if_changed(path, text)
        print(f"{'wrote' if changed else 'unchanged'} {path}")
    print(f"{len(h.functions)} functions, {len(h.enums)} enums, {len(h.structs)} structs, {len(h.opaque)} handle types")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
