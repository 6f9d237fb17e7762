"""ROS 2 part of fhmr_ros (needs rclpy and the generated messages)."""
