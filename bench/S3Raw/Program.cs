// s3raw: the raw reference of bench/s3.sh. Moves bytes with the AWS SDK's TransferUtility
// (Amazon.S3.Transfer), configured like PsBackup's S3 store: ServiceURL, path-style addressing,
// AuthenticationRegion, checksums only when required. Settings come from the same environment
// variables as psbackup-cli: PSBACKUP_S3_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
//
//   s3raw make-bucket BUCKET
//   s3raw upload-dir   DIR  BUCKET PREFIX     (TransferUtility.UploadDirectoryAsync, recursive)
//   s3raw download-dir BUCKET PREFIX DIR      (TransferUtility.DownloadDirectoryAsync)
//   s3raw upload-file  FILE BUCKET KEY        (TransferUtility.UploadAsync, multipart)
//   s3raw download-file BUCKET KEY FILE       (TransferUtility.DownloadAsync: one GetObject streamed to the file)
//   s3raw download-file-parallel BUCKET KEY FILE  (TransferUtility.DownloadWithResponseAsync, RANGE: parallel
//                                              8 MiB ranged GETs, ConcurrentServiceRequests at once, written in place)
//   s3raw du BUCKET PREFIX                    (prints object count and total bytes under PREFIX)
//   s3raw rm BUCKET PREFIX                    (deletes every object under PREFIX)
//
// TransferUtility runs with its defaults (multipart threshold 16 MiB, part size = max(5 MiB, size/10000),
// ConcurrentServiceRequests 10) unless S3RAW_CONCURRENCY / S3RAW_PART_MB are set.
using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

static string Env(string name, string fallback) =>
    Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: s3raw make-bucket B | upload-dir DIR B P | download-dir B P DIR | upload-file F B K | download-file B K F");
    return 2;
}

var config = new AmazonS3Config
{
    ServiceURL = Env("PSBACKUP_S3_ENDPOINT", "http://127.0.0.1:14569"),
    ForcePathStyle = true,
    AuthenticationRegion = Env("AWS_REGION", "us-east-1"),
    RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
    ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
};
var credentials = new BasicAWSCredentials(Env("AWS_ACCESS_KEY_ID", "S3RVER"), Env("AWS_SECRET_ACCESS_KEY", "S3RVER"));
using var client = new AmazonS3Client(credentials, config);
var tuConfig = new TransferUtilityConfig();
if (int.TryParse(Environment.GetEnvironmentVariable("S3RAW_CONCURRENCY"), out var concurrency)) tuConfig.ConcurrentServiceRequests = concurrency;
long? partSize = long.TryParse(Environment.GetEnvironmentVariable("S3RAW_PART_MB"), out var mb) ? mb << 20 : null;
using var tu = new TransferUtility(client, tuConfig);

var sw = Stopwatch.StartNew();
long bytes = 0;
switch (args[0])
{
    case "make-bucket":
        try { await client.PutBucketAsync(new PutBucketRequest { BucketName = args[1] }); }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists") { }
        return 0;

    case "upload-dir":
    {
        var request = new TransferUtilityUploadDirectoryRequest
        {
            Directory = args[1], BucketName = args[2], KeyPrefix = args[3],
            SearchPattern = "*", SearchOption = SearchOption.AllDirectories,
        };
        await tu.UploadDirectoryAsync(request);
        bytes = new DirectoryInfo(args[1]).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        break;
    }
    case "download-dir":
        await tu.DownloadDirectoryAsync(new TransferUtilityDownloadDirectoryRequest
        {
            BucketName = args[1], S3Directory = args[2], LocalDirectory = args[3],
        });
        bytes = new DirectoryInfo(args[3]).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        break;

    case "upload-file":
    {
        var request = new TransferUtilityUploadRequest { FilePath = args[1], BucketName = args[2], Key = args[3] };
        if (partSize is long p) request.PartSize = p;
        await tu.UploadAsync(request);
        bytes = new FileInfo(args[1]).Length;
        break;
    }
    case "download-file":
        await tu.DownloadAsync(new TransferUtilityDownloadRequest { BucketName = args[1], Key = args[2], FilePath = args[3] });
        bytes = new FileInfo(args[3]).Length;
        break;

    case "download-file-parallel":
        // The SDK's multipart download. RANGE asks for PartSize ranges (8 MiB by default), as
        // PsBackup's reader does; the default strategy (PART) would follow the upload's parts with partNumber GETs.
        await tu.DownloadWithResponseAsync(new TransferUtilityDownloadRequest
        {
            BucketName = args[1], Key = args[2], FilePath = args[3], MultipartDownloadType = MultipartDownloadType.RANGE,
        });
        bytes = new FileInfo(args[3]).Length;
        break;

    case "du":
    case "rm":
    {
        long count = 0, total = 0;
        var list = new ListObjectsV2Request { BucketName = args[1], Prefix = args[2] };
        ListObjectsV2Response page;
        do
        {
            page = await client.ListObjectsV2Async(list);
            foreach (var o in page.S3Objects ?? [])
            {
                count++; total += o.Size ?? 0;
                if (args[0] == "rm") await client.DeleteObjectAsync(args[1], o.Key);
            }
            list.ContinuationToken = page.NextContinuationToken;
        } while (page.IsTruncated == true);
        Console.WriteLine($"{count} {total}");
        return 0;
    }
    default:
        Console.Error.WriteLine($"s3raw: unknown command {args[0]}");
        return 2;
}
Console.WriteLine($"{args[0]}: {bytes} bytes in {sw.Elapsed.TotalSeconds:F2} s ({bytes / 1e6 / sw.Elapsed.TotalSeconds:F1} MB/s)");
return 0;
