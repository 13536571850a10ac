// Runs before each test file's imports (jest setupFiles). The AWS SDK prints a
// NodeVersionSupportWarning once per process on Node < 22; the SDK documents this variable to
// silence it (@aws-sdk/core emitWarningIfUnsupportedVersion); children that tests start with
// their own environment set it too. The CLI and the Lambda keep it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

