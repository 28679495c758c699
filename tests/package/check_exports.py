#!/usr/bin/env python3
"""What liblwnet.so exports is lwnet's public API, all of it, and nothing else.

  check_exports.py --library <liblwnet.so> --include <include/> --version <MAJOR.MINOR.PATCH>

Fails (exit 1, naming every problem) when
- the SONAME is not liblwnet.so.MAJOR.MINOR (0.x: a new minor version may change the ABI);
- an exported symbol is not lwnet's: a C function that lwnet/lwnet.h does not declare, a C++ symbol
  outside namespace lwnet (an instance of a C++ library template, Eigen, nlohmann-json), or one in
  an internal namespace (lwnet::cpu, lwnet::io, lwnet::nn, lwnet::cli, lwnet::capi);
- a function declared at namespace scope in a public header lacks LWNET_API (lwnet/export.h), or a
  class or struct defined there does (other than header-only ones listed below);
- a function the headers mark LWNET_API is not exported (declared, but defined nowhere in the library).
"""
import argparse
import pathlib
import re
import subprocess
import sys

INTERNAL_NAMESPACES = ("cpu", "io", "nn", "cli", "capi")
CXX_PREFIXES = ("typeinfo name for ", "typeinfo for ", "vtable for ", "non-virtual thunk to ", "virtual thunk to ")
# Defined entirely in their header (no out-of-line member, no virtual function): nothing to export.
HEADER_ONLY_TYPES = {"KernelConstants"}
# Lines at namespace scope that declare nothing the library defines.
NOT_DECLARATIONS = ("inline", "template", "constexpr", "using", "static_assert", "namespace", "enum", "LWNET_HD",
                    "#", "//", "}", "extern", "typedef", "friend", "return")


def run(*command):
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def exported_symbols(library):
    mangled = [line.split()[-1].split("@")[0] for line in run("nm", "-D", "--defined-only", library).splitlines() if line.strip()]
    demangled = run("c++filt", *mangled).splitlines() if mangled else []
    return list(zip(mangled, demangled))


def qualified_name(demangled):
    """lwnet::kme::fit_kme for 'lwnet::kme::fit_kme(lwnet::Backend&, ...)' (and after 'typeinfo for ')."""
    for prefix in CXX_PREFIXES:
        if demangled.startswith(prefix):
            demangled = demangled[len(prefix):]
    depth, end = 0, len(demangled)
    for i, ch in enumerate(demangled):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "(" and depth == 0:
            end = i
            break
    return re.sub(r"\[abi:\w+\]", "", demangled[:end])


def public_declarations(include_dir):
    """(C functions, C++ function names marked LWNET_API, lint problems) from the public headers."""
    c_functions, cxx_functions, problems = set(), set(), []
    lwnet_h = include_dir / "lwnet" / "lwnet.h"
    for line in lwnet_h.read_text().splitlines():
        match = re.match(r"^LWNET_API\s.*?\b(lwnet_\w+)\(", line)
        if match:
            c_functions.add(match.group(1))
        elif re.match(r"^(const char\s*\*|lwnet_status|void|int32_t|int64_t|double)\s*\*?\s*lwnet_\w+\(", line):
            problems.append(f"{lwnet_h.name}: C function without LWNET_API: {line.strip()}")
    headers = sorted((include_dir / "lwnet").glob("*.hpp")) + sorted((include_dir / "lwnet" / "detail").glob("*.hpp"))
    for header in headers:
        lines = header.read_text().splitlines()
        for number, line in enumerate(lines):
            previous = lines[number - 1] if number else ""
            where = f"{header.relative_to(include_dir)}:{number + 1}"
            if previous.startswith("template"):
                continue
            type_definition = re.match(r"^(class|struct) (LWNET_API )?(\w+)\b(?!;)", line)
            if type_definition and not line.rstrip().endswith(";"):
                name, marked = type_definition.group(3), bool(type_definition.group(2))
                if marked == (name in HEADER_ONLY_TYPES):
                    problems.append(f"{where}: {name} " + ("is header-only and needs no LWNET_API" if marked
                                                           else "is not marked LWNET_API"))
                continue
            if not line or not line[0].isalpha() or "(" not in line or line.rstrip().endswith("{"):
                continue
            declaration = line[len("LWNET_API "):] if line.startswith("LWNET_API ") else line
            if declaration.startswith(NOT_DECLARATIONS):
                continue
            function = re.match(r"^[\w:<>,\s*&]+?[\s*&]([\w:~]+)\(", declaration)
            if not function:
                continue
            if line.startswith("LWNET_API "):
                cxx_functions.add(function.group(1))
            else:
                problems.append(f"{where}: function without LWNET_API: {line.strip()}")
    return c_functions, cxx_functions, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True)
    parser.add_argument("--include", required=True, type=pathlib.Path)
    parser.add_argument("--version", required=True)
    args = parser.parse_args()

    problems = []
    major, minor = args.version.split(".")[:2]
    soname = re.search(r"\(SONAME\)\s+Library soname: \[(.*)\]", run("readelf", "-d", args.library))
    expected_soname = f"liblwnet.so.{major}.{minor}"
    if not soname or soname.group(1) != expected_soname:
        problems.append(f"SONAME {soname.group(1) if soname else '(none)'}, expected {expected_soname}")

    c_declared, cxx_declared, lint = public_declarations(args.include)
    problems += lint
    c_exported, cxx_names = set(), []
    symbols = exported_symbols(args.library)
    for mangled, demangled in symbols:
        if re.fullmatch(r"LWNET_\d+", mangled):  # the version node
            continue
        if re.fullmatch(r"lwnet_\w+", mangled):
            c_exported.add(mangled)
            if mangled not in c_declared:
                problems.append(f"exported C function not declared in lwnet.h: {mangled}")
            continue
        name = qualified_name(demangled)
        parts = name.split("::")
        if parts[0] != "lwnet" or len(parts) < 2:
            problems.append(f"exported symbol outside namespace lwnet: {demangled}")
        elif parts[1] in INTERNAL_NAMESPACES:
            problems.append(f"exported symbol of the internal namespace lwnet::{parts[1]}: {demangled}")
        else:
            cxx_names.append(name)
    for missing in sorted(c_declared - c_exported):
        problems.append(f"lwnet.h declares {missing}, which the library does not export")
    exported_functions = {name.split("::")[-1] for name in cxx_names}
    for missing in sorted(cxx_declared - exported_functions):
        problems.append(f"a public header marks {missing} LWNET_API, but the library exports no function of that name")

    print(f"{args.library}: {len(symbols)} exported symbols ({len(c_exported)} C functions, "
          f"{len(cxx_names)} C++ symbols); {len(c_declared)} C and {len(cxx_declared)} C++ function names declared")
    for problem in problems:
        print("problem:", problem)
    if problems:
        return 1
    print("exports match the public API")
    return 0


if __name__ == "__main__":
    sys.exit(main())
