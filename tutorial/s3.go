package tutorial

import (
	"context"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/s3"
)

func sc(env *Env) (*s3.Client, error) {
	return env.S3, need(env.S3 != nil, "an S3 client (Env.S3)")
}

// stat returns an object's metadata, or "not done yet" when it is missing.
func stat(ctx context.Context, c *s3.Client, key string) (s3.ObjectInfo, error) {
	info, err := c.Stat(ctx, key)
	if arsenal.CodeOf(err) == arsenal.NotFound {
		return info, notYet("the object %s does not exist yet", key)
	}
	return info, err
}

var _ = register(&Tutorial{
	Name:  "s3",
	Title: "S3 in five steps",
	Description: "Objects, content headers and metadata, folders, server-side copies and deletes with Arsenal's S3 client. " +
		"Give the client a scratch Config.Prefix: every key is relative to it.",
	Steps: []Step{
		{
			Title:       "Upload an object",
			Instruction: `Store the text "hello s3" under the key hello.txt.`,
			Code:        `res, err := c.Put(ctx, "hello.txt", []byte("hello s3"), nil)`,
			Hint:        "Client.Put uploads bytes in one request; GetBytes reads them back.",
			Validate: func(ctx context.Context, env *Env) error {
				c, err := sc(env)
				if err != nil {
					return err
				}
				if _, err := stat(ctx, c, "hello.txt"); err != nil {
					return err
				}
				b, err := c.GetBytes(ctx, "hello.txt", nil)
				if err != nil {
					return err
				}
				return same("hello.txt's content", string(b), "hello s3")
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := sc(env)
				if err != nil {
					return err
				}
				_, err = c.Put(ctx, "hello.txt", []byte("hello s3"), nil)
				return err
			},
		},
		{
			Title:       "Set content headers and metadata",
			Instruction: `Upload "region,total\n" as report.csv with the content type text/csv and the user metadata owner = ada.`,
			Code: `res, err := c.Put(ctx, "report.csv", []byte("region,total\n"), &s3.PutOptions{
	ContentType: "text/csv",
	Metadata:    map[string]string{"owner": "ada"},
})`,
			Hint: "PutOptions carries the headers; Stat returns them (metadata keys lower-cased).",
			Validate: func(ctx context.Context, env *Env) error {
				c, err := sc(env)
				if err != nil {
					return err
				}
				info, err := stat(ctx, c, "report.csv")
				if err != nil {
					return err
				}
				if err := same("report.csv's content type", info.ContentType, "text/csv"); err != nil {
					return err
				}
				return same("report.csv's owner metadata", info.Metadata["owner"], "ada")
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := sc(env)
				if err != nil {
					return err
				}
				_, err = c.Put(ctx, "report.csv", []byte("region,total\n"), &s3.PutOptions{
					ContentType: "text/csv",
					Metadata:    map[string]string{"owner": "ada"},
				})
				return err
			},
		},
		{
			Title:       "Organise objects in folders",
			Instruction: `Upload two objects, photos/a.jpg and photos/b.jpg, then list the photos/ "folder".`,
			Code: `for _, k := range []string{"photos/a.jpg", "photos/b.jpg"} {
	_, err := c.Put(ctx, k, []byte("jpeg"), &s3.PutOptions{ContentType: "image/jpeg"})
}
page, err := c.ListPage(ctx, &s3.ListOptions{Prefix: "photos/", Delimiter: "/"})`,
			Hint: "Folders are key prefixes; a Delimiter of / groups deeper keys into CommonPrefixes.",
			Validate: func(ctx context.Context, env *Env) error {
				c, err := sc(env)
				if err != nil {
					return err
				}
				page, err := c.ListPage(ctx, &s3.ListOptions{Prefix: "photos/", Delimiter: "/"})
				if err != nil {
					return err
				}
				var keys []string
				for _, o := range page.Objects {
					keys = append(keys, o.Key)
				}
				if len(keys) != 2 || keys[0] != "photos/a.jpg" || keys[1] != "photos/b.jpg" {
					return notYet("photos/ holds %v, want [photos/a.jpg photos/b.jpg]", keys)
				}
				return nil
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := sc(env)
				if err != nil {
					return err
				}
				for _, k := range []string{"photos/a.jpg", "photos/b.jpg"} {
					if _, err := c.Put(ctx, k, []byte("jpeg"), &s3.PutOptions{ContentType: "image/jpeg"}); err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			Title:       "Copy on the server",
			Instruction: `Copy hello.txt to archive/hello.txt without downloading it.`,
			Code:        `res, err := c.Copy(ctx, "hello.txt", "archive/hello.txt", nil)`,
			Hint:        "Client.Copy is a server-side CopyObject: the bytes never leave the store.",
			Validate: func(ctx context.Context, env *Env) error {
				c, err := sc(env)
				if err != nil {
					return err
				}
				cp, err := stat(ctx, c, "archive/hello.txt")
				if err != nil {
					return err
				}
				src, err := stat(ctx, c, "hello.txt")
				if err != nil {
					return err
				}
				return same("archive/hello.txt's size", cp.Size, src.Size)
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := sc(env)
				if err != nil {
					return err
				}
				_, err = c.Copy(ctx, "hello.txt", "archive/hello.txt", nil)
				return err
			},
		},
		{
			Title:       "Delete an object",
			Instruction: `Delete photos/b.jpg.`,
			Code:        `err := c.Delete(ctx, "photos/b.jpg")`,
			Hint:        "Delete succeeds on a missing key too (S3 semantics); Exists checks.",
			Validate: func(ctx context.Context, env *Env) error {
				c, err := sc(env)
				if err != nil {
					return err
				}
				ok, err := c.Exists(ctx, "photos/b.jpg")
				if err != nil {
					return err
				}
				if ok {
					return notYet("photos/b.jpg still exists")
				}
				keep, err := c.Exists(ctx, "photos/a.jpg")
				if err != nil {
					return err
				}
				if !keep {
					return notYet("photos/a.jpg is gone too: delete only photos/b.jpg (redo step 3)")
				}
				return nil
			},
			Solution: func(ctx context.Context, env *Env) error {
				c, err := sc(env)
				if err != nil {
					return err
				}
				return c.Delete(ctx, "photos/b.jpg")
			},
		},
	},
})
