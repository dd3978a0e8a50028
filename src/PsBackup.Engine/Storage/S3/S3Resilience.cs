using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace PsBackup.Engine.Storage.S3;

/// <summary>
/// The retry policy of every S3 request: exponential backoff with jitter on throttling, 5xx,
/// timeouts and broken connections; a timeout per attempt; never a retry of a request S3 refused
/// (authentication, authorization, not found, conflicts, failed preconditions), which fails at once.
/// The AWS SDK's own retries are off (see <see cref="S3ObjectStore"/>), so these are the only ones.
/// </summary>
internal static class S3Resilience
{
    private static readonly HashSet<string> TransientCodes = new(StringComparer.OrdinalIgnoreCase)
    {
        "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable",
        "Throttling", "ThrottlingException", "RequestThrottled", "TooManyRequests", "TooManyRequestsException",
    };

    public static ResiliencePipeline Create(S3StoreOptions options)
    {
        var builder = new ResiliencePipelineBuilder();
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } e && IsTransient(e, args.Context.CancellationToken)),
            });
        }
        // Inside the retry: the timeout bounds each attempt, not the request as a whole.
        builder.AddTimeout(options.RequestTimeout);
        return builder.Build();
    }

    /// <summary>
    /// Whether a failed attempt may succeed when repeated. The caller's own cancellation is not
    /// transient; any other cancellation is a timeout (HttpClient's or the per-attempt one).
    /// </summary>
    public static bool IsTransient(Exception e, CancellationToken callerToken)
    {
        switch (e)
        {
            case AmazonUnmarshallingException:
                return true; // the response broke off while it was read (a truncated error body too): the transfer failed, not the request
            case AmazonServiceException s when s.ErrorCode != null && TransientCodes.Contains(s.ErrorCode):
                return true;
            case AmazonServiceException { StatusCode: >= HttpStatusCode.InternalServerError }:
                return true;
            case AmazonServiceException { StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout }:
                return true;
            case AmazonServiceException { StatusCode: >= HttpStatusCode.BadRequest }:
                return false; // S3 answered and refused: 400, 403, 404, 409, 412 … are final
            case TimeoutRejectedException:
                return true;
            case OperationCanceledException when callerToken.IsCancellationRequested:
                return false;
            case OperationCanceledException or TimeoutException or HttpRequestException or IOException or SocketException:
                return true;
        }
        // The SDK wraps some transport failures (e.g. a connection reset while it parses a response).
        return e.InnerException is { } inner && IsTransient(inner, callerToken);
    }
}
