import { paginate } from "../../contract/paging";

interface Input {
  Filters?: string[];
  NextToken?: string;
  MaxResults?: number;
}

/** A paged API over `items`, `MaxResults` (default 2) per page; records what it was sent. */
function pagedApi(items: string[]) {
  const sent: Input[] = [];
  const send = async (input: Input) => {
    sent.push(input);
    const from = input.NextToken ? Number(input.NextToken) : 0;
    const to = from + (input.MaxResults ?? 2);
    return { Items: items.slice(from, to), ...(to < items.length ? { NextToken: String(to) } : {}) };
  };
  return { send, sent };
}

async function all<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

describe("paginate", () => {
  test("GIVEN five items and a page size of 2 WHEN paged THEN three pages come back in order, each request carrying the previous token", async () => {
    const api = pagedApi(["a", "b", "c", "d", "e"]);
    const input: Input = { Filters: ["x"] };

    const pages = await all(paginate(api.send, input, { pageSize: 2 }));

    expect(pages.map((p) => p.Items)).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    expect(api.sent).toEqual([
      { Filters: ["x"], MaxResults: 2 },
      { Filters: ["x"], MaxResults: 2, NextToken: "2" },
      { Filters: ["x"], MaxResults: 2, NextToken: "4" },
    ]);
    expect(input).toEqual({ Filters: ["x"] });
  });

  test("GIVEN no page size WHEN paged THEN no MaxResults is sent (EC2 refuses one with ids) and one page without a token ends it", async () => {
    const api = pagedApi(["a"]);

    const pages = await all(paginate(api.send, {}));

    expect(pages).toEqual([{ Items: ["a"] }]);
    expect(api.sent).toEqual([{}]);
  });

  test("GIVEN an input with its own MaxResults WHEN paged with a page size THEN the input's wins, as with the SDK's paginators", async () => {
    const api = pagedApi(["a", "b", "c"]);

    await all(paginate(api.send, { MaxResults: 3 }, { pageSize: 1000 }));

    expect(api.sent).toEqual([{ MaxResults: 3 }]);
  });
});
