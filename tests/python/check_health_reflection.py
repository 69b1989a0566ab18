#!/usr/bin/env python3
"""Check a running kompisd from a second gRPC implementation (Python grpcio).

    python tests/python/check_health_reflection.py --addr 127.0.0.1:50051

Checks, in order:
  1. grpc.health.v1.Health/Check answers SERVING for the server ("") and for
     kompis.v1.AdminService;
  2. server reflection (v1alpha, the version Python's client speaks) lists every
     kompis.v1 service and grpc.health.v1.Health;
  3. the file descriptor that contains the symbol kompis.v1.AdminService
     declares that service.

Prints each check; exits 1 with a message naming the failed check otherwise.
Needs the packages in tests/python/requirements.txt.
"""

from __future__ import annotations

import argparse
import sys
import time

EXPECTED_SERVICES = [
    "kompis.v1.AdminService",
    "kompis.v1.ReferralService",
    "kompis.v1.ParticipantService",
    "kompis.v1.InterviewService",
    "kompis.v1.MatchingService",
    "kompis.v1.ActivityService",
    "kompis.v1.ReportService",
    "kompis.v1.BuddyAppService",
    "grpc.health.v1.Health",
]
HEALTH_SERVICES = ["", "kompis.v1.AdminService"]
SYMBOL = "kompis.v1.AdminService"


class CheckFailed(Exception):
    pass


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Check health and reflection of a running kompisd over gRPC."
    )
    parser.add_argument(
        "--addr",
        default="127.0.0.1:50051",
        help="host:port of the gRPC server (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds to wait for the server and for each call (default: %(default)s)",
    )
    return parser.parse_args(argv)


def check_health(channel, timeout: float) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    stub = health_pb2_grpc.HealthStub(channel)
    for service in HEALTH_SERVICES:
        label = service or '"" (the whole server)'
        try:
            resp = stub.Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except Exception as err:  # grpc.RpcError and friends
            raise CheckFailed(f"health check for {label}: call failed: {describe(err)}")
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
        if resp.status != health_pb2.HealthCheckResponse.SERVING:
            raise CheckFailed(f"health check for {label}: status {status}, want SERVING")
        print(f"ok   health {label}: {status}")


def reflection_call(channel, request, timeout: float):
    from grpc_reflection.v1alpha import reflection_pb2_grpc

    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = list(stub.ServerReflectionInfo(iter([request]), timeout=timeout))
    if len(responses) != 1:
        raise CheckFailed(f"reflection: expected 1 response, got {len(responses)}")
    resp = responses[0]
    if resp.HasField("error_response"):
        err = resp.error_response
        raise CheckFailed(
            f"reflection: server answered error {err.error_code}: {err.error_message}"
        )
    return resp


def check_list_services(channel, timeout: float) -> None:
    from grpc_reflection.v1alpha import reflection_pb2

    try:
        resp = reflection_call(
            channel, reflection_pb2.ServerReflectionRequest(list_services=""), timeout
        )
    except CheckFailed:
        raise
    except Exception as err:
        raise CheckFailed(f"reflection list_services: call failed: {describe(err)}")
    listed = sorted(s.name for s in resp.list_services_response.service)
    missing = [s for s in EXPECTED_SERVICES if s not in listed]
    if missing:
        raise CheckFailed(
            "reflection list_services: missing "
            + ", ".join(missing)
            + "; listed: "
            + (", ".join(listed) or "(none)")
        )
    print(f"ok   reflection lists {len(listed)} services: {', '.join(listed)}")


def check_file_containing_symbol(channel, timeout: float) -> None:
    from google.protobuf import descriptor_pb2
    from grpc_reflection.v1alpha import reflection_pb2

    try:
        resp = reflection_call(
            channel,
            reflection_pb2.ServerReflectionRequest(file_containing_symbol=SYMBOL),
            timeout,
        )
    except CheckFailed:
        raise
    except Exception as err:
        raise CheckFailed(
            f"reflection file_containing_symbol {SYMBOL}: call failed: {describe(err)}"
        )
    package, _, service_name = SYMBOL.rpartition(".")
    blobs = resp.file_descriptor_response.file_descriptor_proto
    if not blobs:
        raise CheckFailed(f"reflection file_containing_symbol {SYMBOL}: no file descriptors")
    for blob in blobs:
        fdp = descriptor_pb2.FileDescriptorProto.FromString(blob)
        if fdp.package != package:
            continue
        for svc in fdp.service:
            if svc.name == service_name:
                methods = ", ".join(m.name for m in svc.method)
                print(
                    f"ok   reflection file {fdp.name} declares {SYMBOL}"
                    f" ({len(svc.method)} methods: {methods})"
                )
                return
    names = ", ".join(descriptor_pb2.FileDescriptorProto.FromString(b).name for b in blobs)
    raise CheckFailed(
        f"reflection file_containing_symbol {SYMBOL}: none of the returned files"
        f" ({names}) declares service {service_name} in package {package}"
    )


def describe(err: Exception) -> str:
    code = getattr(err, "code", None)
    details = getattr(err, "details", None)
    if callable(code) and callable(details):
        try:
            return f"{code().name}: {details()}"
        except Exception:  # pragma: no cover - defensive
            pass
    return f"{type(err).__name__}: {err}"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        import grpc
    except ImportError as err:
        print(
            f"FAIL cannot import grpc ({err}); install tests/python/requirements.txt",
            file=sys.stderr,
        )
        return 2

    print(f"checking gRPC server at {args.addr}")
    channel = grpc.insecure_channel(args.addr)
    try:
        started = time.monotonic()
        try:
            grpc.channel_ready_future(channel).result(timeout=args.timeout)
        except grpc.FutureTimeoutError:
            raise CheckFailed(
                f"could not connect to {args.addr} within {args.timeout:g}s"
            )
        print(f"ok   connected in {time.monotonic() - started:.2f}s")
        check_health(channel, args.timeout)
        check_list_services(channel, args.timeout)
        check_file_containing_symbol(channel, args.timeout)
    except CheckFailed as failure:
        print(f"FAIL {failure}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    print("all health and reflection checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
