// The part of Stripe's search query language (docs.stripe.com/search) the stand-in understands:
// `metadata['key']:'value'` and `status:'value'` clauses joined by AND (in any case), values in single or
// double quotes with `\` escaping a quote. Anything else (OR, negation, `~`, comparisons, other fields) is
// refused with Stripe's 400 naming `query`: a query answered wrongly would pass tests it should fail.
import { invalidRequest } from "./stripe-error";

export type SearchClause = { field: "status"; value: string } | { field: "metadata"; key: string; value: string };

/** Stripe's limit on clauses in one query. */
const MAX_CLAUSES = 10;

const QUOTED = String.raw`(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")`;
const CLAUSE = new RegExp(String.raw`(?:(status)|metadata\[${QUOTED}\]):${QUOTED}`, "y");
const AND = /\s+AND\s+/iy;

export function parseSearchQuery(query: string): SearchClause[] {
  const text = query.trim();
  const clauses: SearchClause[] = [];
  let at = 0;
  for (;;) {
    CLAUSE.lastIndex = at;
    const clause = CLAUSE.exec(text);
    if (!clause) throw badQuery(query, at === 0 ? "expected a clause" : `expected a clause at "${text.slice(at, at + 20)}"`);
    const [, status, keySingle, keyDouble, valueSingle, valueDouble] = clause;
    const value = unescape(valueSingle ?? valueDouble ?? "");
    clauses.push(status ? { field: "status", value } : { field: "metadata", key: unescape(keySingle ?? keyDouble ?? ""), value });
    at = CLAUSE.lastIndex;
    if (at === text.length) break;
    AND.lastIndex = at;
    if (!AND.exec(text)) throw badQuery(query, `expected AND at "${text.slice(at, at + 20)}"`);
    at = AND.lastIndex;
  }
  if (clauses.length > MAX_CLAUSES) throw badQuery(query, `more than ${MAX_CLAUSES} clauses`);
  return clauses;
}

const unescape = (quoted: string) => quoted.replace(/\\(.)/g, "$1");

const badQuery = (query: string, reason: string) =>
  invalidRequest(
    `Invalid search query ${JSON.stringify(query)}: ${reason}. The local Stripe stand-in understands metadata['key']:'value' and status:'value' clauses joined by AND.`,
    { code: "parameter_invalid", param: "query" },
  );
