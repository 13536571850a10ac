// cdktf's jest matchers (toHaveResourceWithProperties, ...) are registered here;
// importing the adapter only adds their types.
import "cdktf/lib/testing/adapters/jest";
// eslint-disable-next-line @typescript-eslint/no-require-imports
require("cdktf").Testing.setupJest();
