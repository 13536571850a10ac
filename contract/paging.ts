/** The largest page DescribeInstances and DescribeNetworkInterfaces serve (EC2 API reference, `MaxResults`: 5 to 1000). */
export const EC2_MAX_RESULTS = 1000;
