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

Answers are printed as people read them: Swedish (and Arabic) letters as they
are, times as `2026-12-01 10:00:00 UTC`, durations as `1 h 30 min`. `--raw`
prints the exact proto3 JSON instead. When a call fails, everything the server
said is printed to stderr: the code and message, the ErrorInfo reason and its
metadata, each bad field of a BadRequest with what is wrong with it, and any
other detail (RetryInfo, ResourceInfo, PreconditionFailure...). The exit code
is 1 for a failed call and 2 for a usage mistake.

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
    parser.add_argument(
        "--field",
        metavar="PATH",
        help="print only this field of the answer as plain text, for scripts: "
        "a dotted path of JSON names, list items by number (referral.name, "
        "interviews.0.name); a field at its default prints as one ([] , 0, an "
        "empty line); a bytes field prints as text when it is UTF-8 (an exported "
        "CSV or report page: --field content > report.csv)",
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="print answers as exact proto3 JSON (RFC 3339 times, durations in seconds)",
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
    """The service, message or enum named `symbol`, found in the file that defines it.

    The pool's finders by kind are not used: one of the wrong kind would ask the server
    again and add the same file a second time, which the pool refuses."""
    try:
        file = pool.FindFileContainingSymbol(symbol)
    except KeyError:
        raise KeyError(symbol) from None
    pending = list(file.services_by_name.values()) + list(file.enum_types_by_name.values())
    messages = list(file.message_types_by_name.values())
    while messages:
        message = messages.pop()
        pending.append(message)
        messages.extend(message.nested_types)
        pending.extend(message.enum_types)
    for desc in pending:
        if desc.full_name == symbol:
            return desc
    raise KeyError(symbol)


_TIMESTAMP = "google.protobuf.Timestamp"
_DURATION = "google.protobuf.Duration"


def human_duration(seconds: float) -> str:
    """`5400` -> `1 h 30 min`; `90061` -> `1 d 1 h 1 min 1 s`; `0.25` -> `0.25 s`."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 1:
        return f"{sign}{seconds:g} s"
    whole = int(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if whole >= size:
            parts.append(f"{whole // size} {unit}")
            whole %= size
    rest = whole + (seconds - int(seconds))
    if rest:
        parts.append(f"{rest:g} s")
    return sign + " ".join(parts)


def human_timestamp(ts) -> str:
    """A Timestamp as `2026-12-01 10:00:00 UTC` (fractions of a second kept when set)."""
    when = ts.ToDatetime()
    text = when.strftime("%Y-%m-%d %H:%M:%S")
    if ts.nanos:
        text += f".{ts.nanos:09d}".rstrip("0")
    return text + " UTC"


def readable(message) -> object:
    """A message as JSON-ready values, in proto3 JSON field names, with times and
    durations as people read them."""
    from google.protobuf import json_format

    name = message.DESCRIPTOR.full_name
    if name == _TIMESTAMP:
        return human_timestamp(message)
    if name == _DURATION:
        return human_duration(message.seconds + message.nanos / 1e9)
    if not any(
        f.message_type is not None for f in message.DESCRIPTOR.fields
    ):
        return json_format.MessageToDict(message)
    out = json_format.MessageToDict(message)
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        key = field.json_name
        if field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            if value_field.message_type is not None:
                out[key] = {str(k): readable(v) for k, v in value.items()}
        elif _is_repeated(field):
            out[key] = [readable(v) for v in value]
        elif field.message_type.full_name.startswith("google.protobuf.") and (
            field.message_type.full_name not in (_TIMESTAMP, _DURATION)
        ):
            continue  # wrappers, Struct, FieldMask, Any: their JSON form is fine
        else:
            out[key] = readable(value)
    return out


def pick_field(message, path: str, raw: bool) -> object:
    """The value at `path` (`referral.name`, `participants.0.name`) in `message`.

    Walked on the message itself, not on its JSON: proto3 JSON leaves out fields at
    their default, so an empty list prints `[]`, a zero `0`, an unset enum its zero
    value and an empty string an empty line, instead of "no such field". A name that
    is not a field of the message, or an index past the end of a list, is an error.
    """
    from google.protobuf import json_format
    from google.protobuf.message import Message

    def leaf(value, field):
        if isinstance(value, Message):
            return json.loads(json_format.MessageToJson(value)) if raw else readable(value)
        if field is not None and field.enum_type is not None:
            known = field.enum_type.values_by_number.get(value)
            return known.name if known is not None else value
        if isinstance(value, bytes):
            # A file the service made (a CSV, a report page) prints as itself; other
            # bytes as base64.
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                import base64

                return base64.b64encode(value).decode()
        return value

    value, field, walked, is_list = message, None, [], False
    for part in path.split("."):
        if isinstance(value, Message) and not is_list:
            desc = value.DESCRIPTOR
            found = desc.fields_by_camelcase_name.get(part) or desc.fields_by_name.get(part)
            if found is None:
                where = ".".join(walked) or "the answer"
                fields = ", ".join(f.json_name for f in desc.fields)
                raise KeyError(f"{where} ({desc.full_name}) has no field {part}; its fields: {fields}")
            value, field = getattr(value, found.name), found
            is_list = _is_repeated(found)
        elif is_list:
            if not part.isdigit() or int(part) >= len(value):
                raise KeyError(f"{'.'.join(walked)} has {len(value)} elements; no element {part}")
            value, is_list = value[int(part)], False
        else:
            raise KeyError(f"{'.'.join(walked)} is a single value; it has no field {part}")
        walked.append(part)
    if is_list:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            return {str(k): leaf(v, None) for k, v in value.items()}
        return [leaf(v, field) for v in value]
    return leaf(value, field)


def render(message, raw: bool, field: str | None = None) -> str:
    from google.protobuf import json_format

    if field:
        value = pick_field(message, field, raw)
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if raw:
        return json_format.MessageToJson(message, indent=2, ensure_ascii=False)
    return json.dumps(readable(message), indent=2, ensure_ascii=False)


def describe_error(err) -> str:
    """Every detail of a failed call, one fact a line."""
    lines = [f"error: {err.code().name}: {err.details()}"]
    from google.rpc import error_details_pb2, status_pb2

    raw = next(
        (v for k, v in (err.trailing_metadata() or ()) if k == "grpc-status-details-bin"),
        None,
    )
    if raw is None:
        return lines[0]
    status = status_pb2.Status.FromString(raw)
    kinds = [
        ("ErrorInfo", error_details_pb2.ErrorInfo),
        ("BadRequest", error_details_pb2.BadRequest),
        ("PreconditionFailure", error_details_pb2.PreconditionFailure),
        ("ResourceInfo", error_details_pb2.ResourceInfo),
        ("RetryInfo", error_details_pb2.RetryInfo),
        ("QuotaFailure", error_details_pb2.QuotaFailure),
        ("RequestInfo", error_details_pb2.RequestInfo),
        ("Help", error_details_pb2.Help),
        ("LocalizedMessage", error_details_pb2.LocalizedMessage),
        ("DebugInfo", error_details_pb2.DebugInfo),
    ]
    for detail in status.details:
        for label, cls in kinds:
            if detail.Is(cls.DESCRIPTOR):
                msg = cls()
                detail.Unpack(msg)
                lines.extend(_detail_lines(label, msg))
                break
        else:
            lines.append(f"  detail {detail.type_url} ({len(detail.value)} bytes)")
    return "\n".join(lines)


def _detail_lines(label: str, msg) -> list[str]:
    if label == "ErrorInfo":
        out = [f"  reason: {msg.reason}" + (f" (domain {msg.domain})" if msg.domain else "")]
        out += [f"    {k}: {v}" for k, v in sorted(msg.metadata.items())]
        return out
    if label == "BadRequest":
        out = ["  bad fields:"]
        out += [f"    {v.field}: {v.description}" for v in msg.field_violations]
        return out
    if label == "PreconditionFailure":
        out = ["  preconditions failed:"]
        out += [f"    {v.type} {v.subject}: {v.description}" for v in msg.violations]
        return out
    if label == "ResourceInfo":
        return [f"  resource: {msg.resource_name}" + (f" ({msg.description})" if msg.description else "")]
    if label == "RetryInfo":
        delay = msg.retry_delay.seconds + msg.retry_delay.nanos / 1e9
        return [f"  retry after: {human_duration(delay)}"]
    if label == "QuotaFailure":
        return ["  quota:"] + [f"    {v.subject}: {v.description}" for v in msg.violations]
    if label == "RequestInfo":
        return [f"  request id: {msg.request_id}"]
    if label == "Help":
        return ["  help:"] + [f"    {l.description}: {l.url}" for l in msg.links]
    if label == "LocalizedMessage":
        return [f"  message ({msg.locale}): {msg.message}"]
    return [f"  debug: {msg.detail}"]


def read_request(text: str) -> str:
    if text == "-":
        return sys.stdin.read()
    if text.startswith("@"):
        with open(text[1:], encoding="utf-8") as fh:
            return fh.read()
    return text


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # Names in Swedish and Arabic print as they are, whatever the terminal's locale.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
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
                print(render(msg, args.raw, args.field), flush=True)
        else:
            call = channel.unary_unary(
                path,
                request_serializer=req_cls.SerializeToString,
                response_deserializer=resp_cls.FromString,
            )
            response = call(request, timeout=args.timeout, metadata=metadata)
            print(render(response, args.raw, args.field))
        return 0
    except grpc.RpcError as err:
        print(describe_error(err), file=sys.stderr)
        return 1
    except KeyError as err:
        print(f"error: {err.args[0] if err.args else err}", file=sys.stderr)
        return 2
    except (json_format.ParseError, json.JSONDecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        channel.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
