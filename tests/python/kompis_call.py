#!/usr/bin/env python3
"""A small gRPC command-line client for kompisd, driven by server reflection.

    # what the server offers
    .venv/bin/python tests/python/kompis_call.py list
    .venv/bin/python tests/python/kompis_call.py list kompis.v1.AdminService
    .venv/bin/python tests/python/kompis_call.py describe kompis.v1.AdminService

    # call a method: the request is JSON (proto3 JSON mapping), the answer too
    TOKEN=$(target/release/kompisd token --role coordinator --chapter botkyrka)
    .venv/bin/python tests/python/kompis_call.py --token "$TOKEN" \
        call kompis.v1.ReportService/SomeMethod '{"field": "value"}'

The token may also come from the KOMPIS_TOKEN environment variable; it is sent
as `authorization: Bearer TOKEN`. Unary and server-streaming methods are
supported (each streamed message is printed as one JSON document).
Needs the packages in tests/python/requirements.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Call kompisd over gRPC using server reflection.",
    )
    parser.add_argument(
        "--addr",
        default=os.environ.get("KOMPIS_ADDR", "127.0.0.1:50051"),
        help="host:port of the gRPC server (default: $KOMPIS_ADDR or %(default)s)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("KOMPIS_TOKEN", ""),
        help="bearer token (default: $KOMPIS_TOKEN)",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="call deadline in seconds"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="list services, or the methods of one")
    p_list.add_argument("service", nargs="?")
    p_desc = sub.add_parser("describe", help="show a service or message as .proto text")
    p_desc.add_argument("symbol")
    p_call = sub.add_parser("call", help="call SERVICE/METHOD with a JSON request")
    p_call.add_argument("method", help="e.g. kompis.v1.AdminService/ListChapters")
    p_call.add_argument(
        "request",
        nargs="?",
        default="{}",
        help="JSON request body, or @FILE, or - for stdin (default: {})",
    )
    return parser.parse_args(argv)


def list_services(channel, timeout: float) -> list[str]:
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    req = reflection_pb2.ServerReflectionRequest(list_services="")
    (resp,) = list(stub.ServerReflectionInfo(iter([req]), timeout=timeout))
    return sorted(s.name for s in resp.list_services_response.service)


def describe_descriptor(desc) -> str:
    from google.protobuf import descriptor as d

    lines: list[str] = []
    if isinstance(desc, d.ServiceDescriptor):
        lines.append(f"service {desc.full_name} {{")
        for m in desc.methods:
            cs = "stream " if getattr(m, "client_streaming", False) else ""
            ss = "stream " if getattr(m, "server_streaming", False) else ""
            lines.append(
                f"  rpc {m.name}({cs}{m.input_type.full_name})"
                f" returns ({ss}{m.output_type.full_name});"
            )
        lines.append("}")
    elif isinstance(desc, d.Descriptor):
        lines.append(f"message {desc.full_name} {{")
        for f in desc.fields:
            if f.message_type is not None:
                typ = f.message_type.full_name
            elif f.enum_type is not None:
                typ = f.enum_type.full_name
            else:
                typ = _SCALAR.get(f.type, str(f.type))
            rep = "repeated " if _is_repeated(f) else ""
            lines.append(f"  {rep}{typ} {f.name} = {f.number};")
        lines.append("}")
    elif isinstance(desc, d.EnumDescriptor):
        lines.append(f"enum {desc.full_name} {{")
        for v in desc.values:
            lines.append(f"  {v.name} = {v.number};")
        lines.append("}")
    else:
        lines.append(str(desc))
    return "\n".join(lines)


def _is_repeated(field) -> bool:
    flag = getattr(field, "is_repeated", None)
    if flag is not None:
        return bool(flag() if callable(flag) else flag)
    return field.label == field.LABEL_REPEATED


_SCALAR = {
    1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64",
    7: "fixed32", 8: "bool", 9: "string", 12: "bytes", 13: "uint32",
    15: "sfixed32", 16: "sfixed64", 17: "sint32", 18: "sint64",
}


def find_symbol(pool, symbol: str):
    for finder in (
        pool.FindServiceByName,
        pool.FindMessageTypeByName,
        pool.FindEnumTypeByName,
    ):
        try:
            return finder(symbol)
        except KeyError:
            continue
    raise KeyError(symbol)


def read_request(text: str) -> str:
    if text == "-":
        return sys.stdin.read()
    if text.startswith("@"):
        with open(text[1:], encoding="utf-8") as fh:
            return fh.read()
    return text


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    import grpc
    from google.protobuf import descriptor_pool, json_format, message_factory
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
        ProtoReflectionDescriptorDatabase,
    )

    channel = grpc.insecure_channel(args.addr)
    metadata = [("authorization", f"Bearer {args.token}")] if args.token else []
    try:
        pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        if args.command == "list":
            if args.service:
                svc = pool.FindServiceByName(args.service)
                for m in svc.methods:
                    print(f"{svc.full_name}/{m.name}")
            else:
                print("\n".join(list_services(channel, args.timeout)))
            return 0
        if args.command == "describe":
            print(describe_descriptor(find_symbol(pool, args.symbol)))
            return 0

        sep = "/" if "/" in args.method else "."
        service_name, _, method_name = args.method.lstrip("/").rpartition(sep)
        svc = pool.FindServiceByName(service_name)
        method = svc.methods_by_name.get(method_name)
        if method is None:
            print(f"error: {service_name} has no method {method_name}", file=sys.stderr)
            return 2
        req_cls = message_factory.GetMessageClass(method.input_type)
        resp_cls = message_factory.GetMessageClass(method.output_type)
        request = json_format.Parse(read_request(args.request), req_cls())
        path = f"/{svc.full_name}/{method.name}"
        if getattr(method, "client_streaming", False):
            print("error: client-streaming methods are not supported", file=sys.stderr)
            return 2
        if getattr(method, "server_streaming", False):
            call = channel.unary_stream(
                path,
                request_serializer=req_cls.SerializeToString,
                response_deserializer=resp_cls.FromString,
            )
            for msg in call(request, timeout=args.timeout, metadata=metadata):
                print(json_format.MessageToJson(msg, indent=2), flush=True)
        else:
            call = channel.unary_unary(
                path,
                request_serializer=req_cls.SerializeToString,
                response_deserializer=resp_cls.FromString,
            )
            response = call(request, timeout=args.timeout, metadata=metadata)
            print(json_format.MessageToJson(response, indent=2))
        return 0
    except grpc.RpcError as err:
        print(f"error: {err.code().name}: {err.details()}", file=sys.stderr)
        return 1
    except (KeyError, json_format.ParseError, json.JSONDecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        channel.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
