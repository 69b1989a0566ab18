// The gRPC-Web clients, one per service, sharing a transport that adds the bearer token.
// Same-origin: kompisd serves the console and the API on one port.
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import type { DescService } from "@bufbuild/protobuf";
import { ReferralService } from "../gen/kompis/v1/referral_pb";
import { ParticipantService } from "../gen/kompis/v1/participant_pb";
import { InterviewService } from "../gen/kompis/v1/interview_pb";
import { AdminService } from "../gen/kompis/v1/admin_pb";
import { MatchingService } from "../gen/kompis/v1/matching_pb";
import { ActivityService } from "../gen/kompis/v1/activity_pb";
import { ReportService } from "../gen/kompis/v1/report_pb";

let bearer = "";

/** Sets the token every later call sends. */
export function setBearer(token: string) {
  bearer = token;
}

const auth: Interceptor = (next) => async (req) => {
  if (bearer) req.header.set("authorization", `Bearer ${bearer}`);
  return next(req);
};

const transport = createGrpcWebTransport({
  baseUrl: typeof location === "undefined" ? "http://localhost" : location.origin,
  interceptors: [auth],
});

function client<T extends DescService>(service: T): Client<T> {
  return createClient(service, transport);
}

export const referrals = client(ReferralService);
export const participants = client(ParticipantService);
export const interviews = client(InterviewService);
export const admin = client(AdminService);
export const matching = client(MatchingService);
export const activities = client(ActivityService);
export const reports = client(ReportService);

/** A fresh idempotency key for a mutation (a retry of the same click reuses it). */
export function requestId(): string {
  return crypto.randomUUID();
}

/** Asks the server for a development token; null when development sign-in is off. */
export async function devSignIn(role: string, chapter: string): Promise<string> {
  const q = new URLSearchParams({ role, chapter });
  const res = await fetch(`/console/dev-sign-in?${q}`, { method: "POST" });
  if (!res.ok) throw new Error(await res.text());
  return (await res.text()).trim();
}

/** Whether the server offers the development sign-in (KOMPIS_ENV=development). */
export async function devSignInAvailable(): Promise<boolean> {
  try {
    const res = await fetch("/console/dev-sign-in");
    return res.status === 204;
  } catch {
    return false;
  }
}
