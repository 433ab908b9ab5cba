// Command s3-resumable-upload resumes an interrupted multipart upload: the
// uploader records the upload ID, "crashes" after two of four parts, and a
// second run lists the parts already stored (ListParts), uploads only the
// missing ones and completes the object. It uses the AWS SDK client that
// Client.API exposes for the multipart calls.
//
//	S3_ENDPOINT=http://127.0.0.1:7070 S3_BUCKET=demo go run ./examples/library/s3-resumable-upload
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/infra-arsenal/arsenal/s3"
)

const partSize = s3.MinPartSize // 5 MiB, S3's smallest part but the last

func part(n int32) []byte {
	size := partSize
	if n == 4 {
		size = 1 << 20 // the last part may be smaller
	}
	return bytes.Repeat([]byte{byte('a' + n)}, size)
}

func upload(ctx context.Context, api *awss3.Client, bucket, key, id string, n int32) error {
	body := part(n)
	sum := md5.Sum(body)
	_, err := api.UploadPart(ctx, &awss3.UploadPartInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		PartNumber: aws.Int32(n), Body: bytes.NewReader(body),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:])),
	})
	return err
}

func demo(ctx context.Context, c *s3.Client) error {
	api, bucket := c.API(), c.Bucket()
	key := c.Config().Prefix + "backups/archive.tar" // the SDK does not add the Client's prefix
	up, err := api.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	id := aws.ToString(up.UploadId)
	// First run: two parts, then the process "dies".
	for _, n := range []int32{1, 2} {
		if err := upload(ctx, api, bucket, key, id, n); err != nil {
			return err
		}
	}
	fmt.Println("interrupted after 2 of 4 parts")

	// Second run: find what is stored, upload the rest.
	lp, err := api.ListParts(ctx, &awss3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
	if err != nil {
		return err
	}
	have := map[int32]string{}
	for _, p := range lp.Parts {
		have[aws.ToInt32(p.PartNumber)] = aws.ToString(p.ETag)
	}
	fmt.Println("parts found on resume:", len(have))
	sent := 0
	for n := int32(1); n <= 4; n++ {
		if _, ok := have[n]; ok {
			continue
		}
		if err := upload(ctx, api, bucket, key, id, n); err != nil {
			return err
		}
		sent++
	}
	fmt.Println("parts uploaded on resume:", sent)
	lp, err = api.ListParts(ctx, &awss3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
	if err != nil {
		return err
	}
	var parts []types.CompletedPart
	for _, p := range lp.Parts {
		parts = append(parts, types.CompletedPart{PartNumber: p.PartNumber, ETag: p.ETag})
	}
	sort.Slice(parts, func(i, j int) bool { return *parts[i].PartNumber < *parts[j].PartNumber })
	if _, err := api.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}); err != nil {
		_, _ = api.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
		return err
	}
	info, err := c.Stat(ctx, "backups/archive.tar")
	if err != nil {
		return err
	}
	fmt.Printf("completed object: %d bytes (want %d)\n", info.Size, 3*partSize+1<<20)
	tail, err := c.GetBytes(ctx, "backups/archive.tar", &s3.GetOptions{Offset: info.Size - 1})
	if err != nil {
		return err
	}
	fmt.Printf("last byte is from part 4: %v\n", tail[0] == 'e')
	return c.Delete(ctx, "backups/archive.tar")
}
