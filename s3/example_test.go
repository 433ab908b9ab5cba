package s3_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/s3"
)

func ExampleParseURL() {
	cfg, err := s3.ParseURL("s3://photos/2024?endpoint=http://127.0.0.1:9000&region=eu-west-1&style=path&part_size=16MiB")
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Bucket, cfg.Prefix, cfg.Endpoint, cfg.Region, cfg.Style, cfg.PartSize>>20)

	_, err = s3.ParseURL("s3://AKID:TOPSECRET@Bad_Bucket")
	var ce *arsenal.ConfigError
	fmt.Println(arsenal.CodeOf(err), errors.As(err, &ce) && ce.Has("Bucket"), strings.Contains(err.Error(), "TOPSECRET"))
	// Output:
	// photos 2024/ http://127.0.0.1:9000 eu-west-1 path 16
	// InvalidArgument true false
}

func ExampleConfig_String() {
	cfg := s3.Config{Bucket: "photos", AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI"}
	fmt.Println(strings.Contains(fmt.Sprintf("%+v", cfg), "wJalrXUtnFEMI"), strings.Contains(cfg.String(), "xxxxx"))
	// Output: false true
}

func ExampleClient_ObjectURL() {
	c, err := s3.Open(context.Background(), s3.Config{Bucket: "photos", Region: "eu-west-1", AccessKeyID: "AK", SecretAccessKey: "SK"})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	virtual, _ := c.ObjectURL("cats/tom 1.jpg", s3.StyleVirtual)
	path, _ := c.ObjectURL("cats/tom 1.jpg", s3.StylePath)
	fmt.Println(virtual)
	fmt.Println(path)
	// Output:
	// https://photos.s3.eu-west-1.amazonaws.com/cats/tom%201.jpg
	// https://s3.eu-west-1.amazonaws.com/photos/cats/tom%201.jpg
}

// Example runs against a throwaway versitygw (or gofakes3 when versitygw
// is not installed).
func Example() {
	srv, err := testenv.LaunchS3()
	if err != nil {
		panic(err)
	}
	defer srv.Stop()
	ctx := context.Background()
	if comp, err := arsenal.Open(ctx, "s3://not-yet?endpoint="+srv.Endpoint); err == nil {
		fmt.Println("opening is lazy: no request yet")
		comp.Close()
	}
	cfg := s3.Config{Bucket: "example-bucket", Endpoint: srv.Endpoint, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey}
	if _, err := srv.Client().CreateBucket(ctx, createBucket(cfg.Bucket)); err != nil {
		panic(err)
	}
	c, err := s3.Open(ctx, cfg)
	if err != nil {
		panic(err)
	}
	defer c.Close()

	if _, err := c.Put(ctx, "notes/a.txt", []byte("first"), &s3.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"Owner": "ada"}}); err != nil {
		panic(err)
	}
	if _, err := c.Copy(ctx, "notes/a.txt", "notes/b.txt", nil); err != nil {
		panic(err)
	}
	info, _ := c.Stat(ctx, "notes/b.txt")
	fmt.Println(info.Size, info.ContentType, info.Metadata["owner"])

	data, _ := c.GetBytes(ctx, "notes/a.txt", &s3.GetOptions{Offset: 1, Length: 3})
	fmt.Println(string(data))

	for o, err := range c.List(ctx, &s3.ListOptions{Prefix: "notes/"}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(o.Key, o.Size)
	}
	_, err = c.Stat(ctx, "notes/missing")
	fmt.Println(arsenal.CodeOf(err))
	// Output:
	// opening is lazy: no request yet
	// 5 text/plain ada
	// irs
	// notes/a.txt 5
	// notes/b.txt 5
	// NotFound
}
