module github.com/zhengzhao-project/zhengzhao

go 1.26.8
