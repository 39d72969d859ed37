// tour calls every read of partnerhub's API through the client
// openapi-typescript and openapi-fetch make from its OpenAPI description
// (schema.d.ts, generated, not kept in git), reads a paginated list to its
// end, and makes one write with a token and reads it back. It prints one
// JSON line per call, which the client tests (../clients_test.go) check
// against the server; it is also an example of the client's use.
//
//   npx openapi-typescript http://127.0.0.1:8080/api/v1/openapi.json -o schema.d.ts
//   npx tsc && node out/tour.js http://127.0.0.1:8080 ph_… my-activity
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

declare const process: { argv: string[]; exitCode?: number };

const [base = "http://127.0.0.1:8080", token = "", slug = "client-ts-example"] = process.argv.slice(2);
const pub = createClient<paths>({ baseUrl: base });
const api = createClient<paths>({ baseUrl: base, headers: { Authorization: `Bearer ${token}` } });

let failed = false;

// isError reports a body of the documented Error schema.
const isError = (e: unknown): boolean => typeof e === "object" && e !== null && "error" in e;

// line prints one call: its operation, status, whether a body came back
// in the shape expected, and facts the tests compare.
function line(op: string, r: { response: Response; error?: unknown }, decoded: boolean, facts: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ op, status: r.response.status, decoded, ...facts }));
}

async function main(): Promise<void> {
  const partners = await pub.GET("/api/v1/partners");
  line("listPartners", partners, partners.data !== undefined);
  const p = partners.data?.items[0];
  if (!p) throw new Error("no partners");
  const partner = await pub.GET("/api/v1/partners/{slug}", { params: { path: { slug: p.slug } } });
  line("getPartner", partner, partner.data?.slug === p.slug, { key: p.slug });

  const units = await pub.GET("/api/v1/units");
  line("listUnits", units, units.data !== undefined);
  const code = units.data?.items[0]?.code ?? "eng";
  const unit = await pub.GET("/api/v1/units/{code}", { params: { path: { code } } });
  line("getUnit", unit, unit.data?.code === code, { key: code });

  const phases = await pub.GET("/api/v1/phases");
  line("listPhases", phases, phases.data !== undefined);

  const acts = await pub.GET("/api/v1/activities");
  line("listActivities", acts, acts.data !== undefined);
  const first = acts.data?.items[0];
  if (!first) throw new Error("no activities");
  const act = await pub.GET("/api/v1/activities/{slug}", { params: { path: { slug: first.slug } } });
  line("getActivity", act, act.data?.slug === first.slug, { key: first.slug });

  const agreement = partners.data?.items.find((x) => x.agreements.length > 0)?.agreements[0]?.slug ?? "princeton-mou";
  const ag = await pub.GET("/api/v1/agreements/{slug}", { params: { path: { slug: agreement } } });
  line("getAgreement", ag, ag.data?.slug === agreement, { key: agreement });

  const mob = await pub.GET("/api/v1/mobility");
  line("listMobility", mob, mob.data !== undefined);
  const stats = await pub.GET("/api/v1/stats/mobility");
  line("mobilityStats", stats, stats.data !== undefined);

  const doc = await pub.GET("/api/v1/openapi.json");
  line("getOpenAPI", doc, typeof doc.data?.openapi === "string");
  const hz = await pub.GET("/healthz", { parseAs: "text" });
  line("healthz", hz, hz.data === "ok\n");
  const rz = await pub.GET("/readyz", { parseAs: "text" });
  line("readyz", rz, (rz.data ?? "").length > 0);

  const funds = await pub.GET("/api/v1/funds");
  line("listFunds", funds, funds.data !== undefined);
  const fund = funds.data?.items[0]?.slug ?? "princeton";
  const f = await pub.GET("/api/v1/funds/{fund}", { params: { path: { fund } } });
  line("getFund", f, f.data?.slug === fund, { key: fund });

  const calls = await pub.GET("/api/v1/calls");
  line("listCalls", calls, calls.data !== undefined);
  const c0 = calls.data?.items[0];
  const callFund = c0?.fund ?? fund;
  const callNumber = c0?.number ?? 1;
  const call = await pub.GET("/api/v1/calls/{fund}/{number}", { params: { path: { fund: callFund, number: callNumber } } });
  line("getCall", call, call.data?.number === callNumber, { key: `${callFund}/${callNumber}` });

  const projects = await pub.GET("/api/v1/projects");
  line("listProjects", projects, projects.data !== undefined);
  const project = projects.data?.items[0]?.id ?? 1;
  const pr = await pub.GET("/api/v1/projects/{id}", { params: { path: { id: project } } });
  line("getProject", pr, pr.data !== undefined || isError(pr.error));

  const members = await pub.GET("/api/v1/network/members");
  line("listNetworkMembers", members, members.data !== undefined);
  const member = members.data?.members[0]?.slug ?? "utokyo";
  const m = await pub.GET("/api/v1/network/members/{slug}", { params: { path: { slug: member } } });
  line("getNetworkMember", m, m.data !== undefined, { key: member });
  const inst = p.members[0]?.slug ?? "princeton";
  const ni = await pub.GET("/api/v1/network/institutions/{slug}", { params: { path: { slug: inst } } });
  line("getNetworkInstitution", ni, ni.data !== undefined, { key: inst });
  const matrix = await pub.GET("/api/v1/network/matrix");
  line("getNetworkMatrix", matrix, matrix.data !== undefined);
  const nstats = await pub.GET("/api/v1/network/stats");
  line("getNetworkStats", nstats, nstats.data !== undefined);

  const events = await pub.GET("/api/v1/network/events");
  line("listNetworkEvents", events, events.data !== undefined);
  const event = events.data?.events[0]?.id ?? 1;
  const ev = await pub.GET("/api/v1/network/events/{id}", { params: { path: { id: event } } });
  line("getNetworkEvent", ev, ev.data?.id === event);

  const notes = await pub.GET("/api/v1/network/notes");
  line("listPracticeNotes", notes, notes.data !== undefined);
  const note = notes.data?.notes[0]?.id ?? 1;
  const noteFile = notes.data?.notes[0]?.files[0]?.id ?? 1;
  const n = await pub.GET("/api/v1/network/notes/{id}", { params: { path: { id: note } } });
  line("getPracticeNote", n, n.data?.id === note);
  const nf = await pub.GET("/api/v1/network/notes/{id}/files/{file}", { params: { path: { id: note, file: noteFile } }, parseAs: "blob" });
  line("getPracticeNoteFile", nf, (nf.data?.size ?? 0) > 0);

  const found = await pub.GET("/api/v1/search", { params: { query: { q: "Tokyo" } } });
  line("search", found, found.data !== undefined);

  // The reads that need a token.
  const phase = p.teams[p.teams.length - 1]?.phase ?? 3;
  const h1 = await api.GET("/api/v1/partners/{slug}/history", { params: { path: { slug: p.slug } } });
  line("getPartnerHistory", h1, h1.data !== undefined);
  const h2 = await api.GET("/api/v1/units/{code}/history", { params: { path: { code } } });
  line("getUnitHistory", h2, h2.data !== undefined);
  const h3 = await api.GET("/api/v1/activities/{slug}/history", { params: { path: { slug: first.slug } } });
  line("getActivityHistory", h3, h3.data !== undefined);
  const h4 = await api.GET("/api/v1/institutions/{slug}/history", { params: { path: { slug: inst } } });
  line("getInstitutionHistory", h4, h4.data !== undefined);
  const h5 = await api.GET("/api/v1/agreements/{slug}/history", { params: { path: { slug: agreement } } });
  line("getAgreementHistory", h5, h5.data !== undefined);
  const h6 = await api.GET("/api/v1/partners/{partner}/teams/{phase}/history", { params: { path: { partner: p.slug, phase } } });
  line("getTeamHistory", h6, h6.data !== undefined);
  const audit = await api.GET("/api/v1/audit");
  line("listAudit", audit, audit.data !== undefined);
  const bin = await api.GET("/api/v1/bin");
  line("listBin", bin, bin.data !== undefined);
  const asg = await api.GET("/api/v1/calls/{fund}/{number}/assignments", { params: { path: { fund: callFund, number: callNumber } } });
  line("listAssignments", asg, asg.data !== undefined);
  const rank = await api.GET("/api/v1/calls/{fund}/{number}/ranking", { params: { path: { fund: callFund, number: callNumber } } });
  line("callRanking", rank, rank.data !== undefined);
  const reports = await api.GET("/api/v1/projects/{id}/reports", { params: { path: { id: project } } });
  line("listProjectReports", reports, reports.data !== undefined || isError(reports.error));
  const docs = await api.GET("/api/v1/agreements/{slug}/documents", { params: { path: { slug: agreement } } });
  line("listAgreementDocuments", docs, docs.data !== undefined);
  const docId = String(docs.data?.items[0]?.id ?? 1);
  const d = await api.GET("/api/v1/agreements/{slug}/documents/{id}", { params: { path: { slug: agreement, id: docId } }, parseAs: "blob" });
  line("getAgreementDocument", d, (d.data?.size ?? 0) > 0);

  // Proposal 1, which the tests seed (proposals have no list); a draft, so
  // it has no reviews or comments yet: those answer 404 with the
  // documented error.
  const proposal = 1;
  const gp = await api.GET("/api/v1/proposals/{id}", { params: { path: { id: proposal } } });
  line("getProposal", gp, gp.data?.id === proposal);
  const pf = await api.GET("/api/v1/proposals/{id}/files", { params: { path: { id: proposal } } });
  line("listProposalFiles", pf, pf.data !== undefined);
  const file = String(pf.data?.items[0]?.id ?? 1);
  const gf = await api.GET("/api/v1/proposals/{id}/files/{file}", { params: { path: { id: proposal, file } }, parseAs: "blob" });
  line("getProposalFile", gf, (gf.data?.size ?? 0) > 0);
  const rv = await api.GET("/api/v1/proposals/{id}/reviews", { params: { path: { id: proposal } } });
  line("proposalReviews", rv, rv.data !== undefined || isError(rv.error));
  const cm = await api.GET("/api/v1/proposals/{id}/comments", { params: { path: { id: proposal } } });
  line("proposalComments", cm, cm.data !== undefined || isError(cm.error));

  // A list to its end, a few at a time, by the cursor of each page's next.
  let pages = 0;
  let items = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await pub.GET("/api/v1/partners", { params: { query: { limit: 5, cursor } } });
    if (!page.data) {
      line("paginate", page, false);
      break;
    }
    pages++;
    items += page.data.items.length;
    if (page.data.next === null) {
      line("paginate", page, true, { pages, items });
      break;
    }
    cursor = new URL(page.data.next).searchParams.get("cursor") ?? undefined;
  }

  // One write, with the token, and the record read back.
  const body = { ...first, slug, version: 0, title: { ja: "生成したクライアントの例（TypeScript）", en: "An example from the generated client (TypeScript)" } };
  const made = await api.POST("/api/v1/activities", { body });
  line("createActivity", made, made.data?.slug === slug, { key: slug });
  const back = await api.GET("/api/v1/activities/{slug}", { params: { path: { slug } } });
  line("readBack", back, back.data !== undefined, { key: slug, title: back.data?.title.en ?? "" });
}

main().catch((e: unknown) => {
  failed = true;
  console.error("tour:", e);
}).finally(() => {
  if (failed) process.exitCode = 1;
});
