/** The largest page DescribeInstances and DescribeNetworkInterfaces serve (EC2 API reference, `MaxResults`: 5 to 1000). */
export const EC2_MAX_RESULTS = 1000;

/** The paging fields of an EC2 Describe* request. */
export interface PagedInput {
  NextToken?: string;
  MaxResults?: number;
}

/**
 * Every page of a NextToken-paged call, like the SDK's `paginate*` functions (same
 * `pageSize`: MaxResults unless the input sets it), over a bare `send`. The SDK's paginators
 * accept only a real client (`client instanceof EC2Client`), and the Lambda and the agent are
 * handed narrower ones: the simulator's, or a wrapper counting calls. The input is not
 * changed.
 */
export async function* paginate<I extends PagedInput, O extends { NextToken?: string }>(
  send: (input: I) => Promise<O>,
  input: I,
  opts: { readonly pageSize?: number } = {},
): AsyncGenerator<O, void, undefined> {
  const MaxResults = input.MaxResults ?? opts.pageSize;
  let NextToken = input.NextToken;
  do {
    const page = await send({ ...input, ...(MaxResults !== undefined ? { MaxResults } : {}), ...(NextToken ? { NextToken } : {}) });
    yield page;
    NextToken = page.NextToken;
  } while (NextToken);
}
