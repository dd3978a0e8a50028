// Adds to @20minutes/s3rver@5.0.0 two pieces of real S3 behaviour the tests need; run by
// tests/peers/install.sh (`node patch-s3rver.cjs <s3rver package dir>`). Idempotent: each edit
// is skipped when its marker is already there, and an anchor that is missing fails loudly.
//
// 1. The bucket lifecycle API (PUT/GET/DELETE /bucket?lifecycle), which s3rver answers with
//    NotImplemented: the configuration XML is stored as sent and returned as stored; GET without
//    one is S3's 404 NoSuchLifecycleConfiguration. s3rver never *executes* the rules: no object
//    is ever transitioned or expired.
// 2. Archive storage classes: GET of an object stored as GLACIER or DEEP_ARCHIVE answers S3's
//    403 InvalidObjectState (it needs a restore first); HEAD still works, as on S3.
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const pkg = process.argv[2]
if (!pkg) throw new Error('usage: node patch-s3rver.cjs <path to @20minutes/s3rver>')
const marker = (name) => `/* psbackup-patch: ${name} */`

function patch(file, edits) {
  const full = path.join(pkg, 'lib', file)
  let text = fs.readFileSync(full, 'utf8')
  for (const [name, anchor, replacement] of edits) {
    if (text.includes(marker(name))) continue
    if (!text.includes(anchor)) throw new Error(`patch-s3rver: anchor for '${name}' not found in ${file}`)
    text = text.replace(anchor, () => replacement(marker(name))) // a function: no $-patterns
  }
  fs.writeFileSync(full, text)
}

// Routes: a lifecycle case ahead of the NotImplemented lists (the first matching case wins).
patch('routes.js', [
  ['delete-lifecycle', "      case 'cors':\n        return bucketCtrl.deleteBucketCors(ctx)",
    (m) => `      case 'lifecycle': ${m}\n        return bucketCtrl.deleteBucketLifecycle(ctx)\n      case 'cors':\n        return bucketCtrl.deleteBucketCors(ctx)`],
  ['get-lifecycle', "      case 'cors':\n        return bucketCtrl.getBucketCors(ctx)",
    (m) => `      case 'lifecycle': ${m}\n        return bucketCtrl.getBucketLifecycle(ctx)\n      case 'cors':\n        return bucketCtrl.getBucketCors(ctx)`],
  ['put-lifecycle', "      case 'cors':\n        return bucketCtrl.putBucketCors(ctx)",
    (m) => `      case 'lifecycle': ${m}\n        return bucketCtrl.putBucketLifecycle(ctx)\n      case 'cors':\n        return bucketCtrl.putBucketCors(ctx)`],
])

// Controllers: the lifecycle XML lives next to the bucket's other subresources (cors.xml …).
patch('controllers/bucket.js', [
  ['lifecycle-controllers', "exports.bucketExists = ", (m) => `${m}
const lifecyclePath = (ctx) => ctx.store.getResourcePath(ctx.params.bucket, undefined, 'lifecycle.xml')

exports.putBucketLifecycle = async function putBucketLifecycle(ctx) {
  await utf8BodyParser(ctx)
  const xml = ctx.request.body
  const { XMLValidator } = require('fast-xml-parser')
  if (XMLValidator.validate(xml) !== true || !/<LifecycleConfiguration[\\s>]/.test(xml) || !/<Rule>/.test(xml)) {
    throw new S3Error('MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema')
  }
  await require('node:fs').promises.writeFile(lifecyclePath(ctx), xml)
  ctx.body = ''
}

exports.getBucketLifecycle = async function getBucketLifecycle(ctx) {
  let xml
  try {
    xml = await require('node:fs').promises.readFile(lifecyclePath(ctx), 'utf8')
  } catch (err) {
    if (err.code !== 'ENOENT') throw err
    throw new S3Error('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', {
      BucketName: ctx.params.bucket,
    })
  }
  ctx.type = 'application/xml'
  ctx.body = xml
}

exports.deleteBucketLifecycle = async function deleteBucketLifecycle(ctx) {
  await require('node:fs').promises.rm(lifecyclePath(ctx), { force: true })
  ctx.status = 204
}

exports.bucketExists = `],
])

// GetObject: archived objects are not readable until restored (HEAD shares this controller).
patch('controllers/object.js', [
  ['archived-object', "  ctx.set('Accept-Ranges', 'bytes')\n", (m) => `  ${m}
  if (ctx.method !== 'HEAD' && ['GLACIER', 'DEEP_ARCHIVE'].includes(object.metadata['x-amz-storage-class'])) {
    if (object.content) object.content.destroy()
    throw new S3Error('InvalidObjectState', 'The operation is not valid for the storage class of the object', {
      StorageClass: object.metadata['x-amz-storage-class'],
    })
  }
  ctx.set('Accept-Ranges', 'bytes')
`],
])
