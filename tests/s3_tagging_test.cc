// Tag sets as S3 takes them: the Tagging document and the x-amz-tagging
// header, with S3's limits; and the document they render back to.
#include <gtest/gtest.h>

#include "core/s3/tagging.h"

namespace tessera::s3 {
namespace {

std::string xml_of(int tags, const std::string& key_prefix = "k") {
  std::string x = "<Tagging><TagSet>";
  for (int i = 0; i < tags; ++i) {
    x += "<Tag><Key>" + key_prefix + std::to_string(i) + "</Key><Value>v</Value></Tag>";
  }
  return x + "</TagSet></Tagging>";
}

TEST(Tagging, HeaderIsAUrlEncodedQueryString) {
  auto tags = tags_from_header("team=storage&note=a%20b+c&empty=");
  ASSERT_TRUE(tags.is_ok()) << tags.status().to_string();
  ASSERT_EQ(tags.value().size(), 3);
  EXPECT_EQ(tags.value()[1].name(), "note");
  EXPECT_EQ(tags.value()[1].value(), "a b c");
  EXPECT_EQ(tags.value()[2].value(), "");
  EXPECT_TRUE(tags_from_header("").value().empty());
  EXPECT_EQ(tags_from_header("a=%zz").status().reason(), "InvalidArgument");
  EXPECT_EQ(tags_from_header("a=1&a=2").status().reason(), "InvalidTag");
  EXPECT_EQ(tags_from_header("=v").status().reason(), "InvalidTag");
}

TEST(Tagging, DocumentLimitsAreS3s) {
  EXPECT_TRUE(tags_from_xml(xml_of(10), kObjectTagsMax).is_ok());
  EXPECT_EQ(tags_from_xml(xml_of(11), kObjectTagsMax).status().reason(), "InvalidTag");
  EXPECT_TRUE(tags_from_xml(xml_of(50), kBucketTagsMax).is_ok());
  EXPECT_EQ(tags_from_xml(xml_of(51), kBucketTagsMax).status().reason(), "InvalidTag");
  EXPECT_EQ(tags_from_xml(xml_of(1, std::string(129, 'k')), kObjectTagsMax).status().reason(), "InvalidTag");
  // 128 characters of two bytes each are still 128 characters.
  std::string wide;
  for (int i = 0; i < 127; ++i) wide += "\xc3\xa9";
  EXPECT_TRUE(tags_from_xml(xml_of(1, wide), kObjectTagsMax).is_ok());
  EXPECT_EQ(tags_from_xml("<Tagging><TagSet>", kObjectTagsMax).status().reason(), "MalformedXML");
  EXPECT_EQ(tags_from_xml("<Other/>", kObjectTagsMax).status().reason(), "MalformedXML");
  EXPECT_EQ(tags_from_xml("<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>", kObjectTagsMax)
                .status()
                .reason(),
            "MalformedXML");
}

TEST(Tagging, RenderedDocumentParsesBackToTheSameSet) {
  auto tags = tags_from_header("a=1&b=two%26three");
  ASSERT_TRUE(tags.is_ok());
  auto back = tags_from_xml(tags_xml(tags.value()), kObjectTagsMax);
  ASSERT_TRUE(back.is_ok());
  ASSERT_EQ(back.value().size(), 2);
  EXPECT_EQ(back.value()[1].value(), "two&three");
}

}  // namespace
}  // namespace tessera::s3
